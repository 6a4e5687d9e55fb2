import { type ReactNode, useEffect, useState } from 'react';
import { api } from '../api.js';
import { LineChart } from '../line-chart.js';
import { LoadError } from '../forms.js';
// Type only (erased from the bundle): the page reads the samples the console keeps, so a change
// of their shape fails the web typecheck instead of the page.
import type { OverviewSample } from '../../../../src/overview/overview-history.js';

interface History {
  sampleIntervalMs: number;
  windowMs: number;
  samples: OverviewSample[];
}

const KAFKA_TEXT = { up: 'up', down: 'down', none: 'not configured (in-process bus)' } as const;

/** The fleet over the last 15 minutes: the history is kept by the console, so it shows at once. */
export function OverviewPage(): ReactNode {
  const [history, setHistory] = useState<History | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;
    const poll = async (): Promise<void> => {
      let wait = 5_000;
      try {
        const h = await api<History>('GET', '/api/v1/overview/history');
        if (!live) return;
        setHistory(h);
        setError(null);
        wait = Math.min(5_000, Math.max(1_000, h.sampleIntervalMs));
      } catch (err) {
        if (live) setError(err instanceof Error ? err.message : String(err));
      }
      if (live) timer = setTimeout(() => void poll(), wait);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);
  const samples = history?.samples ?? [];
  const last = samples[samples.length - 1];
  const times = samples.map((s) => Date.parse(s.at));
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <LoadError error={error} />
      <dl className="states">
        <div>
          <dt>Kafka</dt>
          <dd data-testid="kafka-state" className={`state ${last?.kafka ?? ''}`}>
            {last ? KAFKA_TEXT[last.kafka] : '…'}
          </dd>
        </div>
        <div>
          <dt>Database</dt>
          <dd data-testid="database-state" className={`state ${last?.database ?? ''}`}>
            {last?.database ?? '…'}
          </dd>
        </div>
        <div>
          <dt>Samples</dt>
          <dd>
            {samples.length} (every {Math.round((history?.sampleIntervalMs ?? 0) / 1000)} s)
          </dd>
        </div>
      </dl>
      <LineChart
        title="Connections"
        unit=""
        testId="chart-connections"
        times={times}
        series={[{ label: 'online', color: '#2563eb', values: samples.map((s) => s.connections) }]}
      />
      <LineChart
        title="Messages per second"
        unit="msg/s"
        testId="chart-messages"
        times={times}
        series={[
          { label: 'in (from devices)', color: '#16a34a', values: samples.map((s) => s.messagesInPerSecond) },
          { label: 'out (to devices)', color: '#d97706', values: samples.map((s) => s.messagesOutPerSecond) },
        ]}
      />
    </section>
  );
}
