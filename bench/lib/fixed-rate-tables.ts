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
    ['kafkaToGateway', 'record → gateway read (ms clock)'],
    ['gatewayToSocket', 'gateway read → socket write'],
  ],
  'downlink-broadcast': [
    ['kafkaToGateway', 'record → gateway read (ms clock)'],
    ['gatewayToSocket', 'gateway read → socket write'],
  ],
};

export function isFixedRate(m: Measurement): boolean {
  return m.scenario === 'fixed-rate';
}

/** A median with its spread over the repetitions: `12.3 (9.8–15.1)`. */
function withSpread(m: Measurement, key: string): string {
  const v = m.median[key];
  if (v === undefined || !Number.isFinite(v)) return '–';
  const s = (m.info.spread as Record<string, [number, number]> | undefined)?.[key];
  return s && m.reps.length > 1 ? `${formatFigure(v)} (${formatFigure(s[0])}–${formatFigure(s[1])})` : formatFigure(v);
}

/** p99 against the target, where the direction has one at this rate. */
function verdict(m: Measurement): string {
  const direction = String(m.info.direction);
  const target = P99_TARGETS_MS[direction];
  if (!target || target.ratePerSec !== m.info.ratePerSec) return '';
  const p99 = m.median.p99Ms;
  return p99 <= target.p99Ms ? ` ✓ ≤ ${target.p99Ms}` : ` ✗ > ${target.p99Ms}`;
}

/** The fixed-rate tables of one target: end to end with FleetMQ's share, then the stages. */
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
      `Medians of ${first.reps.length} repetition(s) of ${formatFigure(Number(first.info.durationMs))} ms each (smallest–largest in brackets), ms. "FleetMQ adds" = the row's median minus Kafka's own round trip at the same rate, same run.`,
      '',
      "| rate msg/s | path | sent | received | p50 | p99 | FleetMQ adds p50 / p99 | gateway's longest event-loop stall |",
      '|---:|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const m of mine) {
      const kafka = m.info.direction === 'kafka' ? undefined : kafkaAt(m.info.ratePerSec);
      const adds = kafka ? `${formatFigure(round(m.median.p50Ms - kafka.median.p50Ms))} / ${formatFigure(round(m.median.p99Ms - kafka.median.p99Ms))}` : '–';
      lines.push(
        `| ${formatFigure(Number(m.info.ratePerSec))} | ${DIRECTION_TEXT[String(m.info.direction)] ?? m.variant} | ${formatFigure(m.median.sent)} | ${formatFigure(m.median.received)} | ${withSpread(m, 'p50Ms')} | ${withSpread(m, 'p99Ms')}${verdict(m)} | ${adds} | ${withSpread(m, 'eventLoopMaxMs')} |`,
      );
    }
    lines.push('', `${heading} fixed-rate — ${target}: where the time goes (p50 / p99, ms)`, '');
    for (const direction of Object.keys(STAGES)) {
      const dm = mine.filter((m) => m.info.direction === direction);
      if (dm.length === 0) continue;
      const stages = STAGES[direction];
      lines.push(`| ${DIRECTION_TEXT[direction]}: rate msg/s | end to end | ${stages.map(([, text]) => text).join(' | ')} |`, `|---:|---:|${stages.map(() => '---:|').join('')}`);
      const pair = (m: Measurement, key: string): string => `${formatFigure(m.median[`${key}P50Ms`])} / ${formatFigure(m.median[`${key}P99Ms`])}`;
      for (const m of dm) lines.push(`| ${formatFigure(Number(m.info.ratePerSec))} | ${formatFigure(m.median.p50Ms)} / ${formatFigure(m.median.p99Ms)} | ${stages.map(([key]) => pair(m, key)).join(' | ')} |`);
      lines.push('');
    }
  }
  return lines;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
