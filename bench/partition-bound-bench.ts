import { loadPipelineDefinition } from '../infra/local/pipeline/serverless-config';
import { DEFAULT_MAX_ACTIVE_PARTITIONS, type LakeLayout, loadLakeLayout, partitionBound } from '../shared/lake-layout';

/** Firehose's default quota of active partitions per delivery stream. */
export const LAYOUT_BOUND_TARGET = DEFAULT_MAX_ACTIVE_PARTITIONS;

export interface LayoutBoundResult {
  /** The layout itself (the transformer benchmark runs with it). */
  layout: LakeLayout;
  prefix: string;
  eventTypes: number;
  /** Worst-case active Firehose partitions, or undefined when the layout is unbounded (client_id). */
  bound: number | undefined;
  formula: string;
  warning?: string;
  /** The delivery stream's active-partition quota the layout is configured for (LAKE_MAX_ACTIVE_PARTITIONS). */
  quota: number;
}

/**
 * The default layout's worst-case active-partition bound: the lake layout the transformer
 * builds from its environment as serverless.yml resolves it (stage local), and partitionBound
 * of it. A configuration figure: nothing is run.
 */
export const runLayoutBound = async (): Promise<LayoutBoundResult> => {
  const definition = await loadPipelineDefinition('local');
  const layout = loadLakeLayout(definition.transformer.environment);
  const { bound, formula, warning } = partitionBound(layout);
  return {
    layout,
    prefix: layout.prefix,
    eventTypes: layout.eventTypes.size,
    bound,
    formula,
    ...(warning !== undefined && { warning }),
    quota: layout.maxActivePartitions,
  };
};
