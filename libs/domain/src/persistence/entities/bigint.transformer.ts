import type { ValueTransformer } from 'typeorm';

/** pg returns bigint as a string; counters stay far below 2^53, so a number is exact. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | null) => Number(value ?? 0),
};
