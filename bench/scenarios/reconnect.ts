import { Histogram, summarize } from '../lib/histogram.js';
import type { ConnectResult } from '../lib/protocol.js';
import type { Target } from '../targets/target.js';
import { type Context, type Measurement, shares, sleep, withBroker, withGenerators } from './context.js';

/** Sums a counter across Prometheus texts (all label sets), e.g. a query counter. */
export function sumMetric(texts: string[], name: string): number {
  let total = 0;
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const rest = line.slice(name.length);
      if (rest[0] !== ' ' && rest[0] !== '{') continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(value)) total += value;
    }
  }
  return total;
}

/**
 * Reconnect storm: N clients (signature auth on FleetMQ signature mode) are connected, then
 * every socket is dropped at once and all reconnect together. Reports the time until all are
 * back and, on FleetMQ, the database transactions the storm caused.
 */
export async function reconnectStorm(target: Target, ctx: Context, metricNames: string[]): Promise<Measurement> {
  const n = ctx.profile.reconnect.clients;
  const perGen = ctx.profile.connections.perGenerator;
  return withBroker(ctx, target, 'reconnect-storm', 1, () =>
    withGenerators(ctx, 'storm', Math.ceil(n / perGen), async (gens) => {
      const e = target.endpoints[0];
      const counts = shares(n, gens.length);
      ctx.log(`${target.name}: connecting ${n} clients for the reconnect storm (auth: ${target.auth.mode})`);
      const first = await Promise.all(gens.map((g, gi) => g.call<ConnectResult>({
        op: 'connect',
        spec: {
          pool: 'storm', host: e.host, port: e.port, count: counts[gi], idPrefix: `${target.idPrefix}rs${gi}n`, startIndex: 0,
          localAddresses: ctx.addresses.take(1), keepalive: 60, clean: true, concurrency: 200, timeoutMs: 60_000, auth: target.auth,
        },
      })));
      const initiallyConnected = first.reduce((s, r) => s + r.connected, 0);
      await sleep(2000);
      const db0 = target.dbTransactions ? await target.dbTransactions() : undefined;
      const m0 = target.metrics ? await target.metrics() : undefined;
      ctx.log(`${target.name}: dropping all ${initiallyConnected} sockets and reconnecting at once`);
      const storm = await Promise.all(gens.map((g) => g.call<ConnectResult>({
        op: 'reconnect', pool: 'storm', localAddresses: ctx.addresses.take(1), concurrency: n,
      })));
      const timeToAllMs = Math.max(...storm.map((s) => s.elapsedMs));
      const each = new Histogram();
      for (const s of storm) each.merge(Histogram.from(s.latency));
      const eachSummary = summarize(each);
      const reconnected = storm.reduce((s, r) => s + r.connected, 0);
      const failed = storm.reduce((s, r) => s + r.failed, 0);
      const errors: Record<string, number> = {};
      for (const r of storm) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
      // Sessions are written in batches: wait a few flush periods before reading the counters.
      await sleep(3000);
      const db1 = target.dbTransactions ? await target.dbTransactions() : undefined;
      const m1 = target.metrics ? await target.metrics() : undefined;
      await Promise.all(gens.map((g) => g.call({ op: 'close', pool: 'storm' })));
      const rep: Record<string, number> = {
        clients: initiallyConnected, reconnected, failed, timeToAllMs: Math.round(timeToAllMs),
        reconnectPerSec: Math.round((reconnected / timeToAllMs) * 1000),
        reconnectP50Ms: eachSummary.p50Ms, reconnectP99Ms: eachSummary.p99Ms,
      };
      if (db0 !== undefined && db1 !== undefined) rep.dbTransactions = db1 - db0;
      const metricDeltas: Record<string, number> = {};
      if (m0 && m1) for (const name of metricNames) metricDeltas[name] = sumMetric(m1, name) - sumMetric(m0, name);
      ctx.log(`${target.name}: reconnect storm: ${JSON.stringify(rep)}`);
      return {
        target: target.name, scenario: 'reconnect-storm', variant: `${n} clients`,
        reps: [rep], median: rep, info: { auth: target.auth.mode, errors, metricDeltas },
      };
    }),
  );
}
