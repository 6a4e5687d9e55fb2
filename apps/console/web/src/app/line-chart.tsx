import type { ReactNode } from 'react';

export interface Series {
  label: string;
  color: string;
  values: ReadonlyArray<number | null>;
}

const WIDTH = 600;
const HEIGHT = 160;
const PAD = 28;

/** `−40 s`, `−3 min`, `−15 min`: how far back the chart reaches. */
function ago(ms: number): string {
  return ms < 120_000 ? `−${Math.round(ms / 1000)} s` : `−${Math.round(ms / 60_000)} min`;
}

function format(value: number): string {
  return value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
}

interface ChartProps {
  title: string;
  unit: string;
  testId: string;
  /** Sample times (ms since the epoch), oldest first; every series has one value per time. */
  times: readonly number[];
  series: Series[];
}

/**
 * A small dependency-free SVG line chart over time: x is proportional to the sample times, from
 * the oldest sample kept to the newest, so gaps in sampling show. Null values leave gaps too.
 */
export function LineChart({ title, series, unit, testId, times }: ChartProps): ReactNode {
  const end = times[times.length - 1] ?? 0;
  const start = Math.min(times[0] ?? 0, end - 1_000);
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const x = (i: number): number => PAD + (((times[i] ?? end) - start) * (WIDTH - 2 * PAD)) / (end - start);
  const y = (v: number): number => HEIGHT - PAD - (v * (HEIGHT - 2 * PAD)) / max;
  const latest = series.map((s) => [...s.values].reverse().find((v) => v !== null) ?? null);
  return (
    <figure className="chart" data-testid={testId} data-latest={latest.map((v) => v ?? '').join(',')}>
      <figcaption>
        <strong>{title}</strong>
        {series.map((s, i) => (
          <span key={s.label} className="legend" style={{ color: s.color }}>
            {s.label}: <output>{latest[i] === null ? '–' : format(latest[i]!)}</output> {unit}
          </span>
        ))}
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}, last ${ago(end - start).slice(1)}`}>
        <line x1={PAD} y1={HEIGHT - PAD} x2={WIDTH - PAD} y2={HEIGHT - PAD} className="axis" />
        <line x1={PAD} y1={PAD} x2={PAD} y2={HEIGHT - PAD} className="axis" />
        <text x={2} y={PAD + 4} className="tick">
          {format(max)}
        </text>
        <text x={2} y={HEIGHT - PAD + 4} className="tick">
          0
        </text>
        <text x={PAD} y={HEIGHT - 8} className="tick">
          {ago(end - start)}
        </text>
        <text x={WIDTH - PAD - 20} y={HEIGHT - 8} className="tick">
          now
        </text>
        {series.map((s) => (
          <path key={s.label} d={pathOf(s.values, x, y)} stroke={s.color} fill="none" strokeWidth={2} />
        ))}
      </svg>
    </figure>
  );
}

function pathOf(values: ReadonlyArray<number | null>, x: (i: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
    pen = true;
  });
  return d.trim();
}
