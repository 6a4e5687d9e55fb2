// Reads prom-client's default registry, where the in-process gateways of a test file count.
import { register } from 'prom-client';

/** The sum of a counter's values whose labels include `labels` (0 when the metric does not exist). */
export async function counter(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await register.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}
