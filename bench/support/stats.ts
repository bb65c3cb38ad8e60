// Small statistics for benchmarks on a noisy machine: quantiles, and percentile-bootstrap intervals for a
// median, so a figure comes with how far the noise lets it be trusted.
import { prng } from '../../test/support/fuzz-inputs';

/** The q-quantile (0..1) of the values, linear between neighbours; NaN for no values. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = sorted[Math.floor(at)] as number;
  const high = sorted[Math.ceil(at)] as number;
  return low + (high - low) * (at - Math.floor(at));
}

export const median = (values: number[]) => quantile(values, 0.5);

export interface Estimate {
  /** The median of the values. */
  value: number;
  /** The 95% percentile-bootstrap interval of that median. */
  low: number;
  high: number;
  /** How many independent clusters it rests on. */
  n: number;
}

/**
 * The median of all values with its 95% bootstrap interval (4000 resamples). The values come in clusters
 * that share their noise (e.g. the turns of one session, which met the same minute's machine load); the
 * bootstrap resamples whole clusters, so the interval reflects how many independent clusters there are,
 * not how many values. With paired samples, pass the per-pair differences or ratios: the pairing removes
 * what both sides of a pair shared. Fewer than 2 clusters give an interval as wide as the data.
 */
export function medianWithInterval(clusters: number[][], resamples = 4000): Estimate {
  const groups = clusters.filter((cluster) => cluster.length > 0);
  const values = groups.flat();
  const value = median(values);
  if (groups.length < 2)
    return { value, low: Math.min(...values), high: Math.max(...values), n: groups.length };
  const random = prng(values.length * 7919 + groups.length); // seeded: the same samples give the same interval
  const medians: number[] = [];
  for (let i = 0; i < resamples; i += 1) {
    medians.push(median(groups.flatMap(() => groups[Math.floor(random() * groups.length)] as number[])));
  }
  return { value, low: quantile(medians, 0.025), high: quantile(medians, 0.975), n: groups.length };
}

/** Whether an estimate shows a figure at most `limit`: its whole interval below, above, or neither. */
export function verdict(estimate: Estimate, limit: number): 'met' | 'refuted' | 'undecided' {
  if (estimate.high <= limit) return 'met';
  if (estimate.low > limit) return 'refuted';
  return 'undecided';
}
