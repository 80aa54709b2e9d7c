/** Timing helpers: CPU time (user + system, whole process) and wall time per run, medians. */

export interface Sample {
  cpuMs: number;
  wallMs: number;
}

export interface Stats {
  /** Median over the measured iterations. */
  cpuMs: number;
  wallMs: number;
  /** Spread of the CPU samples, for judging noise. */
  cpuMinMs: number;
  cpuMaxMs: number;
  iterations: number;
}

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const cpuMillis = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;

/** Runs `fn` once and returns its CPU and wall time; awaits it when it returns a promise. */
export const measure = async (fn: () => unknown): Promise<Sample> => {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const result = fn();
  if (result instanceof Promise) await result;
  const wallMs = performance.now() - wallStart;
  return { cpuMs: cpuMillis(process.cpuUsage(cpuStart)), wallMs };
};

export const summarize = (samples: readonly Sample[]): Stats => {
  const cpu = samples.map((sample) => sample.cpuMs);
  return {
    cpuMs: median(cpu),
    wallMs: median(samples.map((sample) => sample.wallMs)),
    cpuMinMs: Math.min(...cpu),
    cpuMaxMs: Math.max(...cpu),
    iterations: samples.length,
  };
};

export interface InterleaveOptions {
  warmup: number;
  iterations: number;
}

export interface Comparison {
  subject: Stats;
  baseline: Stats;
  /** Median of the per-iteration ratios subject / baseline (CPU time). */
  cpuRatio: number;
  /** Median of the per-iteration ratios subject / baseline (wall time). */
  wallRatio: number;
}

/**
 * Runs subject and baseline alternately (ABBA order, so neither always runs first, warm
 * or right after a collection), after `warmup` unmeasured rounds of both. Each iteration
 * pairs one run of each, and the ratio is the median of those paired ratios, which cancels
 * slow drifts (thermal, other processes) better than a ratio of medians.
 */
export const interleave = async (
  subject: () => unknown,
  baseline: () => unknown,
  options: InterleaveOptions,
): Promise<Comparison> => {
  for (let i = 0; i < options.warmup; i++) {
    await measure(subject);
    await measure(baseline);
  }
  const subjectSamples: Sample[] = [];
  const baselineSamples: Sample[] = [];
  for (let i = 0; i < options.iterations; i++) {
    if (i % 2 === 0) {
      subjectSamples.push(await measure(subject));
      baselineSamples.push(await measure(baseline));
    } else {
      baselineSamples.push(await measure(baseline));
      subjectSamples.push(await measure(subject));
    }
  }
  const ratios = (pick: (sample: Sample) => number): number =>
    median(subjectSamples.map((sample, i) => pick(sample) / pick(baselineSamples[i] as Sample)));
  return {
    subject: summarize(subjectSamples),
    baseline: summarize(baselineSamples),
    cpuRatio: ratios((sample) => sample.cpuMs),
    wallRatio: ratios((sample) => sample.wallMs),
  };
};
