import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface GeneratedSecrets {
  adminToken: string;
  masterKey: string;
  /** True when the admin token was created by this start (so it is worth printing loudly). */
  adminTokenIsNew: boolean;
}

/**
 * The all-in-one start needs an admin token and a master key without any setup: each one comes
 * from the environment when given, else from the data dir, else is generated once and kept
 * there (mode 0600) so that restarts keep working with the same credentials and secrets.
 */
export async function loadOrCreateSecrets(dataDir: string, fromEnv: { adminToken?: string; masterKey?: string }): Promise<GeneratedSecrets> {
  await mkdir(dataDir, { recursive: true });
  const admin = await readOrCreate(join(dataDir, 'admin-token'), fromEnv.adminToken, () => randomBytes(24).toString('base64url'));
  const master = await readOrCreate(join(dataDir, 'master-key'), fromEnv.masterKey, () => randomBytes(32).toString('hex'));
  return { adminToken: admin.value, masterKey: master.value, adminTokenIsNew: admin.created };
}

async function readOrCreate(file: string, given: string | undefined, generate: () => string): Promise<{ value: string; created: boolean }> {
  if (given !== undefined) return { value: given, created: false };
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length > 0) return { value: stored, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const value = generate();
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return { value, created: true };
}
