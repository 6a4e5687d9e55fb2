/**
 * Markdown for docs/SCALING.md from one `npm run bench:scale` result. Pure and deterministic,
 * like docs-tables.ts: every figure is derived here from the raw counts in the result file.
 */
import { describeConditions } from './docs-tables.js';
import { formatFigure } from './report.js';
import type { PhaseResult, ScaleConfigResult, ScaleResult } from './scale-result.js';

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** A node's CPU in the phase beyond what it uses idle over the same time, µs. */
function workCpu(c: ScaleConfigResult, p: PhaseResult, node: number): number {
  return Math.max(0, p.perNode[node]!.cpuMicros - (c.idleCpuMicrosPerSec[node]! * p.durationMs) / 1000);
}

/** CPU of every node in the phase (idle taken out), µs, per unit of `per`. */
function clusterCpuPer(c: ScaleConfigResult, p: PhaseResult, per: number): number {
  return per > 0 ? sum(p.perNode.map((_, i) => workCpu(c, p, i))) / per : Number.NaN;
}

/** Median over the nodes of a node's CPU (idle taken out) per record it handled. */
function nodeCpuPerHandled(c: ScaleConfigResult, p: PhaseResult): number {
  return median(p.perNode.map((n, i) => (n.handled > 0 ? workCpu(c, p, i) / n.handled : Number.NaN)));
}

function bytesPerConnection(c: ScaleConfigResult): number {
  return median(c.rssConnectedBytes.map((after, i) => (after - c.rssBeforeBytes[i]!) / c.connectionsPerNode));
}

function delivered(p: PhaseResult): number {
  return sum(p.perNode.map((n) => n.delivered));
}

function perUnit(value: number | undefined, per: number): string {
  return value === undefined || per <= 0 ? '–' : formatFigure(value / per);
}

/** P2P records the nodes forwarded to the holding node, per record sent; '–' for results without reads by outcome. */
function forwardedPerRecord(p: PhaseResult): string {
  return p.perNode.every((n) => n.reads) ? perUnit(sum(p.perNode.map((n) => n.reads!.forwarded)), p.count) : '–';
}

/** One row per node and downlink phase: what it read, forwarded and delivered, and its CPU per record read and per delivery. */
function downlinkRows(c: ScaleConfigResult): string[] {
  const phases: Array<[string, PhaseResult]> = [['P2P', c.phases.p2p], ['broadcast', c.phases.broadcast]];
  return phases.flatMap(([name, p]) => p.perNode.map((n, i) => {
    const cpu = workCpu(c, p, i);
    const forwarded = n.reads ? formatFigure(n.reads.forwarded) : '–';
    return `| ${c.store} | ${c.nodes} | ${i} | ${name} | ${formatFigure(n.handled)} | ${forwarded} | ${formatFigure(n.delivered)} | ${perUnit(cpu, n.handled)} | ${perUnit(cpu, n.delivered)} |`;
  }));
}

/** The figures behind the sizing in docs/SCALING.md, per store and node count. */
export function renderScaleRun(source: string, r: ScaleResult): string {
  const m = r.machine;
  const p = r.profile;
  const lines = [
    describeConditions(source, { startedAt: r.startedAt, nproc: m.nproc, cpuModel: m.cpuModel, node: m.node, commit: m.commit, pinning: 'unpinned (gateways, generators and Redis share the CPUs)', loadAverageStart: m.loadAverageStart }),
    `Versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}. Profile \`${p.name}\`: \`${r.reproduce}\`; ${formatFigure(p.connectionsPerNode)} clients per node (clean session, one subscription each, no keep-alive), uplink from ${p.uplinkClientsPerNode} publishers per node with ${p.uplinkInflight} QoS 1 PUBLISHes in flight each for ${p.uplinkMs / 1000} s, ${formatFigure(p.p2pRecords)} P2P downlink records with targets round-robin over the nodes, ${p.broadcastRecords} broadcast records to every client; ${p.payloadBytes}-byte payloads. ${p.warmupConnectionsPerNode ? `Before measuring, ${formatFigure(p.warmupConnectionsPerNode)} clients per node connect and disconnect (JIT warm-up). ` : ''}CPU is each gateway process's user + system time from /proc, less what that process uses idle (measured over 3 s before the clients connect) over the same time.`,
    '',
    '#### Per gateway node',
    '',
    '| store | nodes | idle CPU % of a core per node | RSS per idle connection, bytes | CPU µs per connect | CPU µs per disconnect | uplink QoS 1: CPU µs per message | P2P: records read per node per record sent | P2P: records forwarded per record sent | P2P: node CPU µs per record read | P2P: all nodes\' CPU µs per message delivered | broadcast: node CPU µs per record | broadcast: all nodes\' CPU µs per delivery |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of r.configs) {
    const { connect, disconnect, uplink, p2p, broadcast } = c.phases;
    lines.push(`| ${c.store} | ${c.nodes} | ${formatFigure(median(c.idleCpuMicrosPerSec) / 1e4)} | ${formatFigure(bytesPerConnection(c))} | ${formatFigure(clusterCpuPer(c, connect, connect.count))} | ${formatFigure(clusterCpuPer(c, disconnect, disconnect.count))} | ${formatFigure(clusterCpuPer(c, uplink, uplink.count))} | ${formatFigure(median(p2p.perNode.map((n) => n.handled)) / p2p.count)} | ${forwardedPerRecord(p2p)} | ${formatFigure(nodeCpuPerHandled(c, p2p))} | ${formatFigure(clusterCpuPer(c, p2p, delivered(p2p)))} | ${formatFigure(nodeCpuPerHandled(c, broadcast))} | ${formatFigure(clusterCpuPer(c, broadcast, delivered(broadcast)))} |`);
  }
  const foreign = r.configs.flatMap((c) => (Object.entries(c.phases) as Array<[string, PhaseResult]>).flatMap(([name, phase]) => {
    const own = name === 'p2p' || name === 'broadcast' ? phase.count : 0;
    const extra = (phase.topicRecords ?? own) - own;
    return extra > 0 ? [`${c.store} x${c.nodes} ${name}: ${formatFigure(extra)}`] : [];
  }));
  if (foreign.length) lines.push('', `Others wrote to fleetmq.downlink on the same Kafka during these phases, and the nodes read those records too (with the memory store every node; with the Redis store every node before P2P routing, one node of the tier since): they are in the CPU and in "records read": ${foreign.join('; ')} records.`);
  const shortfall = r.configs.flatMap((c) => {
    const out: string[] = [];
    if (delivered(c.phases.p2p) < c.phases.p2p.count) out.push(`${c.store} x${c.nodes} P2P: ${formatFigure(delivered(c.phases.p2p))} of ${formatFigure(c.phases.p2p.count)}`);
    const expected = c.phases.broadcast.count * c.connectionsPerNode * c.nodes;
    if (delivered(c.phases.broadcast) < expected) out.push(`${c.store} x${c.nodes} broadcast: ${formatFigure(delivered(c.phases.broadcast))} of ${formatFigure(expected)}`);
    return out;
  });
  if (shortfall.length) lines.push('', `Not every message arrived: ${shortfall.join('; ')}.`);

  lines.push(
    '',
    '#### Downlink per node',
    '',
    'Records read from fleetmq.downlink (`fleetmq_downlink_delivered_total`, any outcome; "–" for forwarded: a result written before P2P was routed), P2P records forwarded to the node holding the target, messages the node\'s clients received, and the node\'s CPU (idle taken out) per record it read and per message it delivered.',
    '',
    '| store | nodes | node | phase | records read | forwarded | delivered to its clients | CPU µs per record read | CPU µs per message delivered |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|',
    ...r.configs.flatMap(downlinkRows),
  );

  const redis = r.configs.filter((c) => c.store === 'redis' && c.phases.connect.redis);
  if (redis.length) {
    lines.push(
      '',
      '#### Redis (redis store): per connect and per message, all nodes together',
      '',
      'Round trips are Redis read events (INFO total_reads_processed): one per batch of commands a client sends at once.',
      '',
      '| nodes | commands per connect | round trips per connect | Redis CPU µs per connect | Redis bytes per connection | commands per disconnect | commands per uplink message | round trips per uplink message | Redis CPU µs per uplink message | commands per P2P record | commands per broadcast record |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const c of redis) {
      const { connect, disconnect, uplink, p2p, broadcast } = c.phases;
      const conns = c.connectionsPerNode * c.nodes;
      lines.push(`| ${c.nodes} | ${perUnit(connect.redis?.commands, connect.count)} | ${perUnit(connect.redis?.reads, connect.count)} | ${perUnit(connect.redis?.cpuMicros, connect.count)} | ${perUnit(c.redisBytesConnected, conns)} | ${perUnit(disconnect.redis?.commands, disconnect.count)} | ${perUnit(uplink.redis?.commands, uplink.count)} | ${perUnit(uplink.redis?.reads, uplink.count)} | ${perUnit(uplink.redis?.cpuMicros, uplink.count)} | ${perUnit(p2p.redis?.commands, p2p.count)} | ${perUnit(broadcast.redis?.commands, broadcast.count)} |`);
    }
    const widest = redis[redis.length - 1]!;
    const perCommand = (phase: PhaseResult): string =>
      Object.entries(phase.redis?.byCommand ?? {}).map(([name, calls]) => `${name} ${formatFigure(calls / phase.count)}`).join(', ') || 'none';
    lines.push('', `Commands by name at ${widest.nodes} node(s), per connect: ${perCommand(widest.phases.connect)}; per disconnect: ${perCommand(widest.phases.disconnect)}; per uplink message: ${perCommand(widest.phases.uplink)}.`);
  }

  lines.push(
    '',
    '#### PostgreSQL: presence of a connect and its disconnect (client_sessions)',
    '',
    '| store | nodes | transactions per connect + disconnect | client_sessions rows written per connect + disconnect |',
    '|---|---:|---:|---:|',
  );
  for (const c of r.configs) {
    const conns = c.connectionsPerNode * c.nodes;
    lines.push(`| ${c.store} | ${c.nodes} | ${formatFigure(c.postgres.transactions / conns)} | ${formatFigure(c.postgres.clientSessionRowsWritten / conns)} |`);
  }
  if (r.failures.length) {
    lines.push('', 'Failures in this run:', '');
    for (const f of r.failures) lines.push(`- ${f.store} x${f.nodes}: ${f.error.split('\n')[0]}`);
  }
  return lines.join('\n');
}
