import { readCpuSeconds, readRssBytes } from '../lib/proc.js';
import type { ConnectResult, ReceiverCounters } from '../lib/protocol.js';
import type { Target } from '../targets/target.js';
import { type Context, type Measurement, medians, sleep, shares, withBroker, withGenerators } from './context.js';

/**
 * Idle connections: ramps N clients per broker process (several generator processes, each
 * from its own source address), then measures the connect rate, the broker's RSS growth per
 * connection and its CPU use while the clients only send keep-alive pings. Each repetition
 * runs on a freshly started broker (a broker's RSS after one ramp is not where the next starts);
 * the figures are the repetitions' medians.
 */
export async function connections(target: Target, ctx: Context): Promise<Measurement> {
  const runs: Measurement[] = [];
  for (let rep = 0; rep < ctx.profile.reps; rep++) {
    if (ctx.profile.reps > 1) ctx.log(`${target.name}: connections, repetition ${rep + 1}/${ctx.profile.reps}`);
    runs.push(await connectionsOnce(target, ctx));
  }
  const first = runs[0]!;
  return {
    ...first,
    reps: runs.map((r) => r.median),
    median: medians(runs.map((r) => r.median)),
    info: { ...first.info, repetitions: runs.map((r) => r.info) },
  };
}

async function connectionsOnce(target: Target, ctx: Context): Promise<Measurement> {
  const c = ctx.profile.connections;
  const processes = target.multiProcess ? c.fleetmqProcesses : 1;
  return withBroker(ctx, target, 'connections', processes, async () => {
    const endpoints = target.endpoints;
    const perGen = Math.ceil(c.perProcess / c.perGenerator);
    await sleep(1000);
    const rssBefore = endpoints.map((e) => readRssBytes(e.pid));
    return withGenerators(ctx, 'conn', endpoints.length * perGen, async (gens) => {
      ctx.log(`${target.name}: connecting ${c.perProcess * endpoints.length} idle clients over ${endpoints.length} broker process(es), ${gens.length} generator(s)`);

      const cpuBeforeRamp = endpoints.map((e) => readCpuSeconds(e.pid));
      const calls: Array<Promise<ConnectResult>> = [];
      const owners: number[] = [];
      endpoints.forEach((e, ei) => {
        shares(c.perProcess, perGen).forEach((count, gi) => {
          const gen = gens[ei * perGen + gi];
          owners.push(ei);
          calls.push(gen.call<ConnectResult>({
            op: 'connect',
            spec: {
              pool: 'idle', host: e.host, port: e.port, count, idPrefix: `${target.idPrefix}e${ei}g${gi}n`, startIndex: 0,
              localAddresses: ctx.addresses.take(1), keepalive: c.keepaliveSec, clean: true, concurrency: c.concurrency,
              timeoutMs: 60_000, auth: target.auth,
            },
          }));
        });
      });
      const results = await Promise.all(calls);
      // Broker CPU the ramp took: a busy machine stretches the wall-clock rate, much less this.
      const rampCpuSec = endpoints.reduce((sum, e, i) => sum + readCpuSeconds(e.pid) - cpuBeforeRamp[i], 0);
      // Generators start together; each times its own ramp (first attempt to last CONNACK), so
      // process start-up is not counted.
      const rampMs = Math.max(...results.map((r) => r.elapsedMs));

      const connected = results.reduce((n, r) => n + r.connected, 0);
      const failed = results.reduce((n, r) => n + r.failed, 0);
      const errors: Record<string, number> = {};
      for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
      const perEndpoint = endpoints.map((_, ei) => results.filter((_, i) => owners[i] === ei).reduce((n, r) => n + r.connected, 0));
      ctx.log(`${target.name}: ${connected} connected, ${failed} failed in ${rampMs} ms; settling`);

      // 6 s: long enough for a Node broker to finish what follows a storm (FleetMQ with the
      // opt-in heap compaction compacts after 3 quiet seconds), so that neither RSS nor the idle
      // window below catches it.
      await sleep(6000);
      // RSS growth of each broker process since before the ramp, per client it holds.
      const perConnection = (rss: number[]): number[] => rss.map((r, i) => (r - rssBefore[i]) / Math.max(1, perEndpoint[i]));
      const average = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      const rssAfter = endpoints.map((e) => readRssBytes(e.pid));
      const bytesPerConn = perConnection(rssAfter);

      const cpu0 = endpoints.map((e) => readCpuSeconds(e.pid));
      const w0 = Date.now();
      ctx.log(`${target.name}: measuring idle CPU for ${c.idleWindowMs} ms (keep-alive ${c.keepaliveSec} s)`);
      await sleep(c.idleWindowMs);
      const windowSec = (Date.now() - w0) / 1000;
      const cpuPct = endpoints.map((e, i) => ((readCpuSeconds(e.pid) - cpu0[i]) / windowSec) * 100);
      const rssIdle = endpoints.map((e) => readRssBytes(e.pid));
      const still = await Promise.all(gens.map((g) => g.call<ReceiverCounters>({ op: 'counters', pool: 'idle', runTag: 0, remove: false })));
      const open = still.reduce((n, s) => n + s.open, 0);
      await Promise.all(gens.map((g) => g.call({ op: 'close', pool: 'idle' })));

      const total = connected;
      const cpuTotal = cpuPct.reduce((a, b) => a + b, 0);
      const rep = {
        connections: total,
        failed,
        connectPerSec: Math.round((total / rampMs) * 1000),
        connectCpuUs: Math.round((rampCpuSec / Math.max(1, total)) * 1e6),
        bytesPerConnection: Math.round(average(bytesPerConn)),
        bytesPerConnectionAfterIdle: Math.round(average(perConnection(rssIdle))),
        idleCpuPercent: Math.round(cpuTotal * 100) / 100,
        idleCpuPercentPer10k: Math.round(((cpuTotal / Math.max(1, total)) * 10_000) * 100) / 100,
        stillOpenAfterIdle: open,
      };
      return {
        target: target.name, scenario: 'connections', variant: `${c.perProcess} per broker process`,
        reps: [rep], median: rep,
        info: {
          processes: endpoints.length, generators: gens.length, perEndpoint, rssBeforeBytes: rssBefore, rssAfterBytes: rssAfter, rssAfterIdleBytes: rssIdle,
          bytesPerConnectionPerProcess: bytesPerConn.map(Math.round), cpuPercentPerProcess: cpuPct.map((x) => Math.round(x * 100) / 100),
          keepaliveSec: c.keepaliveSec, idleWindowMs: c.idleWindowMs, errors,
        },
      };
    });
  });
}
