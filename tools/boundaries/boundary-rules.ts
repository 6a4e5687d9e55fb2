import { posix } from 'node:path';
import ts from 'typescript';

/** One import that crosses a boundary it must not. */
export interface BoundaryViolation {
  /** Repository-relative path of the importing file (posix separators). */
  file: string;
  specifier: string;
  rule: BoundaryRuleName;
  message: string;
}

export type BoundaryRuleName =
  | 'lib-through-index'
  | 'app-to-app'
  | 'lib-to-app'
  | 'typeorm-in-persistence'
  | 'entity-in-persistence'
  | 'kafkajs-in-messaging'
  | 'redis-in-session-store'
  | 'ioredis-in-adapters';

/** Third-party engines and the folders (or files) each may be imported from. */
const CONFINED_PACKAGES: ReadonlyArray<{ packages: readonly string[]; homes: readonly string[]; rule: BoundaryRuleName }> = [
  { packages: ['typeorm', '@nestjs/typeorm'], homes: ['libs/domain/src/persistence/'], rule: 'typeorm-in-persistence' },
  { packages: ['kafkajs'], homes: ['libs/messaging/'], rule: 'kafkajs-in-messaging' },
  { packages: ['aedes-persistence-redis', 'mqemitter-redis'], homes: ['apps/gateway/src/engine/redis-session-store.ts'], rule: 'redis-in-session-store' },
  // The session store's own connection, and the presence directory and node channel the gateway and the console share.
  { packages: ['ioredis'], homes: ['apps/gateway/src/engine/redis-session-store.ts', 'libs/messaging/src/redis/'], rule: 'ioredis-in-adapters' },
];

/** The all-in-one entry may import the other apps, each through its public module only. */
const ALL_IN_ONE_APP = 'fleetmq';

const ownerOf = (path: string): { kind: 'apps' | 'libs'; name: string } | null => {
  const m = /^(apps|libs)\/([^/]+)\//.exec(path);
  return m ? { kind: m[1] as 'apps' | 'libs', name: m[2]! } : null;
};

const packageName = (specifier: string): string => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
};

/** Every module specifier in `source` (static and dynamic imports, re-exports, require). */
export function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** The boundary violations of one file; `file` is repository-relative (posix). */
export function checkFile(file: string, source: string): BoundaryViolation[] {
  const owner = ownerOf(file);
  if (owner === null) return [];
  const violations: BoundaryViolation[] = [];
  const report = (specifier: string, rule: BoundaryRuleName, message: string): void => {
    violations.push({ file, specifier, rule, message });
  };
  for (const specifier of importSpecifiers(source)) {
    if (specifier.startsWith('.')) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      const to = ownerOf(target);
      if (to === null || (to.kind === owner.kind && to.name === owner.name)) continue;
      if (to.kind === 'libs') {
        report(specifier, 'lib-through-index', `imports ${target}; use the public index (#${to.name}) instead`);
      } else if (owner.kind === 'libs') {
        report(specifier, 'lib-to-app', `a library imports the app file ${target}`);
      } else if (owner.name !== ALL_IN_ONE_APP || !isPublicModule(target, to.name)) {
        report(specifier, 'app-to-app', `imports ${target}; only apps/${ALL_IN_ONE_APP} may import another app, through apps/${to.name}/src/index.ts`);
      }
      continue;
    }
    const pkg = packageName(specifier);
    if (owner.kind === 'apps' && specifier === PERSISTENCE_INDEX) {
      for (const name of entityNamesImported(source, specifier)) {
        report(specifier, 'entity-in-persistence', `imports the TypeORM entity ${name}; apps use the repositories' rows (${name.replace(/Entity$/, 'Row')})`);
      }
    }
    for (const confined of CONFINED_PACKAGES) {
      if (confined.packages.includes(pkg) && !confined.homes.some((home) => file.startsWith(home))) {
        report(specifier, confined.rule, `${pkg} may only be imported inside ${confined.homes.join(' or ')}`);
      }
    }
  }
  return violations;
}

const PERSISTENCE_INDEX = '#domain/persistence';

/** Names ending in `Entity` in the import/export clauses of `source` that come from `specifier`. */
function entityNamesImported(source: string, specifier: string): string[] {
  const names: string[] = [];
  const clause = new RegExp(`(?:import|export)\\s+(?:type\\s+)?\\{([^}]*)\\}\\s*from\\s*['"]${specifier.replace(/[/]/g, '\\/')}['"]`, 'g');
  for (const m of source.matchAll(clause)) {
    for (const part of m[1]!.split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!;
      if (/Entity$/.test(name)) names.push(name);
    }
  }
  return names;
}

function isPublicModule(target: string, app: string): boolean {
  return target.replace(/\.(js|ts)$/, '') === `apps/${app}/src/index`;
}
