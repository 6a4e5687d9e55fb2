import type { ReactNode } from 'react';

export interface Series {
  label: string;
  color: string;
  values: ReadonlyArray<number | null>;
}

const WIDTH = 600;
const HEIGHT = 160;
const PAD = 28;

function format(value: number): string {
  return value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
}

/** A small dependency-free SVG line chart; null values leave gaps (database down). */
export function LineChart({ title, series, unit, testId }: { title: string; series: Series[]; unit: string; testId: string }): ReactNode {
  const count = Math.max(2, ...series.map((s) => s.values.length));
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const x = (i: number): number => PAD + (i * (WIDTH - 2 * PAD)) / (count - 1);
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
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}, last 15 minutes`}>
        <line x1={PAD} y1={HEIGHT - PAD} x2={WIDTH - PAD} y2={HEIGHT - PAD} className="axis" />
        <line x1={PAD} y1={PAD} x2={PAD} y2={HEIGHT - PAD} className="axis" />
        <text x={2} y={PAD + 4} className="tick">
          {format(max)}
        </text>
        <text x={2} y={HEIGHT - PAD + 4} className="tick">
          0
        </text>
        <text x={PAD} y={HEIGHT - 8} className="tick">
          −15 min
        </text>
        <text x={WIDTH - PAD - 20} y={HEIGHT - 8} className="tick">
          now
        </text>
        {series.map((s) => (
          <path key={s.label} d={pathOf(s.values, count, x, y)} stroke={s.color} fill="none" strokeWidth={2} />
        ))}
      </svg>
    </figure>
  );
}

/** Values are right-aligned: the newest sample sits at "now" even before 15 minutes have passed. */
function pathOf(values: ReadonlyArray<number | null>, count: number, x: (i: number) => number, y: (v: number) => number): string {
  const offset = count - values.length;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(i + offset).toFixed(1)},${y(v).toFixed(1)} `;
    pen = true;
  });
  return d.trim();
}
