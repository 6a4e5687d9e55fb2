import { join } from 'node:path';
import { AddressPool, Generator } from '../lib/generator.js';
import type { Profile } from '../lib/profiles.js';
import { isAlive } from '../lib/proc.js';
import type { Target } from '../targets/target.js';

/** One figure set of one scenario variant on one target: every repetition and their medians. */
export interface Measurement {
  target: string;
  scenario: string;
  variant: string;
  reps: Array<Record<string, number>>;
  median: Record<string, number>;
  /** Non-numeric facts (errors seen, counts checked, verdicts). */
  info: Record<string, unknown>;
}

export interface Context {
  profile: Profile;
  addresses: AddressPool;
  brokerCpus?: string;
  loadCpus?: string;
  cpuProfDir?: string;
  /** CPU profiles written so far, per target and scenario. */
  profiles: Array<{ target: string; scenario: string; file: string }>;
  log(line: string): void;
}

let tagCounter = Math.floor(Math.random() * 0x7fff0000);
/** A fresh run tag: receivers count each repetition's messages apart from stragglers of the last. */
export function newRunTag(): number {
  tagCounter = (tagCounter + 1) >>> 0;
  return tagCounter;
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function medians(reps: Array<Record<string, number>>): Record<string, number> {
  const keys = new Set(reps.flatMap((r) => Object.keys(r)));
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = median(reps.map((r) => r[k]));
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const running = new Set<Target>();

/** Stops every started target (the runner's SIGINT/SIGTERM handler: no orphaned brokers, Mosquitto unpinned). */
export async function stopRunningTargets(): Promise<void> {
  await Promise.all([...running].map((t) => t.stop().catch(() => [])));
  running.clear();
}

/** Starts the target (pinned, profiled if asked), runs `fn`, always stops it. */
export async function withBroker<T>(ctx: Context, target: Target, scenario: string, processes: number, fn: () => Promise<T>): Promise<T> {
  const cpuProfDir = ctx.cpuProfDir ? join(ctx.cpuProfDir, target.name, scenario) : undefined;
  ctx.log(`${target.name}: starting ${processes > 1 ? `${processes} processes` : 'broker'} for ${scenario}`);
  running.add(target);
  await target.start({ processes, cpus: ctx.brokerCpus, cpuProfDir });
  const pids = target.endpoints.map((e) => e.pid);
  try {
    const result = await fn();
    // A broker that died mid-scenario: figures taken before are kept only when the scenario
    // says so (it marks them), otherwise the scenario fails.
    const dead = pids.filter((pid) => !isAlive(pid));
    if (dead.length) {
      const message = `${target.name}: broker process(es) ${dead.join(', ')} exited during ${scenario}${target.logHint ? ` (${target.logHint()})` : ''}`;
      const items: unknown[] = Array.isArray(result) ? result : [result];
      const marked = items.filter((m): m is Measurement => typeof m === 'object' && m !== null && 'info' in m && 'brokerExited' in (m as Measurement).info);
      if (marked.length === 0) throw new Error(message);
      for (const m of marked) m.info.brokerExited = message;
    }
    return result;
  } finally {
    const files = await target.stop();
    running.delete(target);
    for (const file of files) ctx.profiles.push({ target: target.name, scenario, file });
  }
}

/** Starts `n` generator processes pinned to the load CPUs; stops them after `fn`. */
export async function withGenerators<T>(ctx: Context, label: string, n: number, fn: (gens: Generator[]) => Promise<T>): Promise<T> {
  const gens = Array.from({ length: n }, (_, i) => Generator.start(`${label}${n > 1 ? `-${i}` : ''}`, ctx.log, ctx.loadCpus));
  try {
    return await fn(gens);
  } finally {
    await Promise.all(gens.map((g) => g.stop()));
  }
}

/** Splits `total` into `parts` near-equal shares. */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}
