import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Env } from './config';

/**
 * What the functions count, as CloudWatch metrics (Powertools' embedded metric format: one JSON
 * log line per flush, no API call). Domain code sees this small interface; tests pass a recorder.
 */
export interface PipelineMetrics {
  /** Adds `value` to the count `name`, optionally under one dimension (e.g. `{ reason }`). */
  count(name: string, value: number, dimension?: { name: string; value: string }): void;
  /** Emits what was counted (the handler does it once per invocation). */
  flush(): void;
}

export const METRICS_NAMESPACE = 'UsagePipeline';

/**
 * Powertools Metrics for one function: namespace `POWERTOOLS_METRICS_NAMESPACE` (default
 * UsagePipeline), service `POWERTOOLS_SERVICE_NAME`. `POWERTOOLS_METRICS_DISABLED=true` turns
 * emission off (the local stack does, so stdout stays the summary's).
 */
export const createPipelineMetrics = (
  functionName: string,
  env: Env = process.env,
): PipelineMetrics & { powertools: Metrics } => {
  const powertools = new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE?.trim() || METRICS_NAMESPACE,
    serviceName: env.POWERTOOLS_SERVICE_NAME?.trim() || 'usage-pipeline',
    defaultDimensions: { function: functionName },
  });
  return {
    powertools,
    count(name, value, dimension) {
      if (value === 0 && dimension !== undefined) return;
      if (dimension === undefined) {
        powertools.addMetric(name, MetricUnit.Count, value);
        return;
      }
      // A dimension of its own needs its own metric set: emitted at once.
      const single = powertools.singleMetric();
      single.addDimension(dimension.name, dimension.value);
      single.addMetric(name, MetricUnit.Count, value);
    },
    flush() {
      powertools.publishStoredMetrics();
    },
  };
};

/** Counts kept in memory: tests, benchmarks and dry runs. */
export class RecordingMetrics implements PipelineMetrics {
  readonly counts = new Map<string, number>();
  flushes = 0;

  count(name: string, value: number, dimension?: { name: string; value: string }): void {
    const key = dimension ? `${name}{${dimension.name}=${dimension.value}}` : name;
    this.counts.set(key, (this.counts.get(key) ?? 0) + value);
  }

  flush(): void {
    this.flushes++;
  }
}
