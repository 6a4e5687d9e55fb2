/**
 * Markdown for the fixed-rate scenario: per offered rate and direction the end-to-end latency
 * (median of the repetitions, smallest–largest in brackets), next to Kafka's own round trip of
 * the same run and the stages it breaks into. Pure: the same measurements give the same bytes.
 */
import type { Measurement } from '../scenarios/context.js';
import { formatFigure } from './report.js';

/** The latency targets of issue 14 (p99, ms), by direction; a row is checked against its own. */
export const P99_TARGETS_MS: Record<string, { ratePerSec: number; p99Ms: number }> = {
  uplink: { ratePerSec: 10_000, p99Ms: 20 },
  'downlink-p2p': { ratePerSec: 5000, p99Ms: 20 },
  'downlink-broadcast': { ratePerSec: 5000, p99Ms: 20 },
};

const DIRECTION_TEXT: Record<string, string> = {
  kafka: 'Kafka alone: producer → consumer',
  uplink: 'device → backend consumer',
  'downlink-p2p': 'Kafka record → device (P2P)',
  'downlink-broadcast': 'Kafka record → device (broadcast)',
};

/** The stages of each direction: [figure key prefix, column text]. */
const STAGES: Record<string, Array<[string, string]>> = {
  kafka: [['ack', 'produce → Kafka ack']],
  uplink: [
    ['ack', 'device → PUBACK'],
    ['hookToAck', 'gateway: hook → Kafka ack'],
    ['gatewayToConsumer', 'gateway → consumer (ms clock)'],
  ],
  'downlink-p2p': [
    ['ack', 'backend produce → Kafka ack'],
    ['kafkaToGateway', 'record → gateway read (ms clock)'],
    ['gatewayToSocket', 'gateway read → socket write'],
  ],
  'downlink-broadcast': [
    ['ack', 'backend produce → Kafka ack'],
    ['kafkaToGateway', 'record → gateway read (ms clock)'],
    ['gatewayToSocket', 'gateway read → socket write'],
  ],
};

export function isFixedRate(m: Measurement): boolean {
  return m.scenario === 'fixed-rate';
}

/** The smallest–largest value of a figure over the repetitions, or – for a single one. */
function spreadOf(m: Measurement, key: string): string {
  const s = (m.info.spread as Record<string, [number, number]> | undefined)?.[key];
  return s && m.reps.length > 1 ? `${formatFigure(s[0])}–${formatFigure(s[1])}` : '–';
}

/** p99 against the target, where the direction has one at this rate. */
function verdict(m: Measurement): string {
  const target = P99_TARGETS_MS[String(m.info.direction)];
  if (!target || target.ratePerSec !== m.info.ratePerSec) return '';
  return m.median.p99Ms <= target.p99Ms ? `✓ ≤ ${target.p99Ms}` : `✗ > ${target.p99Ms}`;
}

/**
 * The fixed-rate tables of each target: end to end with FleetMQ's share, then the stages. Every
 * median sits in a cell of its own (test/docs/docs.e2e-spec.ts finds each figure of a cited run).
 */
export function fixedRateTables(ms: Measurement[], heading: string): string[] {
  const rows = ms.filter(isFixedRate);
  if (rows.length === 0) return [];
  const lines: string[] = [];
  for (const target of [...new Set(rows.map((m) => m.target))]) {
    const mine = rows.filter((m) => m.target === target);
    const kafkaAt = (rate: unknown) => mine.find((m) => m.info.direction === 'kafka' && m.info.ratePerSec === rate);
    const first = mine[0];
    lines.push(
      `${heading} fixed-rate — ${target}: latency at a fixed offered rate`,
      '',
      `Medians of ${first.reps.length} repetition(s) of ${formatFigure(Number(first.info.durationMs))} ms each, in ms; the spread is the smallest–largest repetition. Lost = acknowledged (PUBACK, or Kafka's ack of the record) but not received within 5 s after the phase; sent but not acknowledged is sent minus received minus lost. "FleetMQ adds" = the row's median minus Kafka's own round trip at the same rate in the same run. Gateway CPU per message: the gateway process's CPU (every thread, from /proc) over the phase per message sent; on the Kafka rows, what the idle gateway spends meanwhile.`,
      '',
      "| rate msg/s | path | sent | received | lost | p50 | p99 | max | p50 spread | p99 spread | p99 target | FleetMQ adds p50 | FleetMQ adds p99 | gateway's longest event-loop interval (10 ms monitor: stall = this − 10) | gateway CPU µs per message |",
      '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|',
    );
    for (const m of mine) {
      const kafka = m.info.direction === 'kafka' ? undefined : kafkaAt(m.info.ratePerSec);
      const adds = (key: string): string => (kafka ? formatFigure(round(m.median[key] - kafka.median[key])) : '–');
      const v = (key: string): string => formatFigure(m.median[key]);
      lines.push(
        `| ${formatFigure(Number(m.info.ratePerSec))} | ${DIRECTION_TEXT[String(m.info.direction)] ?? m.variant} | ${v('sent')} | ${v('received')} | ${v('lost')} | ${v('p50Ms')} | ${v('p99Ms')} | ${v('maxMs')} | ${spreadOf(m, 'p50Ms')} | ${spreadOf(m, 'p99Ms')} | ${verdict(m)} | ${adds('p50Ms')} | ${adds('p99Ms')} | ${v('eventLoopMaxMs')} | ${m.median.gatewayCpuUsPerMsg === undefined ? '–' : v('gatewayCpuUsPerMsg')} |`,
      );
    }
    lines.push('', `${heading} fixed-rate — ${target}: where the time goes (medians, ms)`, '');
    for (const direction of Object.keys(STAGES)) {
      const dm = mine.filter((m) => m.info.direction === direction);
      if (dm.length === 0) continue;
      const stages = STAGES[direction];
      lines.push(
        `| ${DIRECTION_TEXT[direction]}: rate msg/s | end to end p50 | p99 | ${stages.map(([, text]) => `${text} p50 | p99`).join(' | ')} |`,
        `|---:|---:|---:|${stages.map(() => '---:|---:|').join('')}`,
      );
      const v = (m: Measurement, key: string): string => formatFigure(m.median[key]);
      for (const m of dm) {
        lines.push(`| ${formatFigure(Number(m.info.ratePerSec))} | ${v(m, 'p50Ms')} | ${v(m, 'p99Ms')} | ${stages.map(([key]) => `${v(m, `${key}P50Ms`)} | ${v(m, `${key}P99Ms`)}`).join(' | ')} |`);
      }
      lines.push('');
    }
  }
  return lines;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
