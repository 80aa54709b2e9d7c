import type { FirehoseTransformationEvent } from 'aws-lambda';
import { type TransformLayout, transformBatch } from '../shared/transformer/firehose-transform';
import { firehoseBatch } from './record-factories';
import { type Comparison, interleave } from './timing';

export const TRANSFORMER_RECORDS = 10_000;
export const TRANSFORMER_TARGET_RATIO = 1.2;

/**
 * The floor any transformer must pay: base64 decode, JSON.parse, move clientId into
 * detail (top-level clientId, else resources[0]), JSON.stringify + "\n", base64 encode.
 * Written as cheaply as that can be: the top-level clientId is set to undefined (which
 * JSON.stringify leaves out) rather than deleted, since delete makes V8 serialize a
 * slow dictionary-mode object; the output bytes are the same.
 */
export const bareTransform = (event: FirehoseTransformationEvent): string[] => {
  const out = new Array<string>(event.records.length);
  for (let i = 0; i < event.records.length; i++) {
    const record = event.records[i] as FirehoseTransformationEvent['records'][number];
    const parsed = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8')) as {
      clientId?: string;
      resources?: string[];
      detail: Record<string, unknown>;
    };
    if (parsed.clientId !== undefined) {
      parsed.detail.clientId = parsed.clientId;
      parsed.clientId = undefined;
    } else if (parsed.resources !== undefined) {
      parsed.detail.clientId = parsed.resources[0];
      parsed.resources = parsed.resources.slice(1);
    }
    out[i] = Buffer.from(`${JSON.stringify(parsed)}\n`).toString('base64');
  }
  return out;
};

export interface TransformerResult {
  comparison: Comparison;
  records: number;
  meanRecordBytes: number;
  canonical: number;
  envelopes: number;
  ok: number;
}

/** `layout`: the lake layout the transformer Lambda builds from its environment (serverless.yml). */
export const runTransformerBench = async (
  options: { warmup: number; iterations: number },
  layout: TransformLayout,
): Promise<TransformerResult> => {
  const batch = firehoseBatch(TRANSFORMER_RECORDS);

  // Sanity: the transformer must accept every generated record, and both sides must agree on the output.
  const check = transformBatch(batch.event, layout);
  const ok = check.records.filter((record) => record.result === 'Ok').length;
  const bare = bareTransform(batch.event);
  const mismatches = check.records.filter((record, i) => record.data !== bare[i]).length;
  if (ok !== TRANSFORMER_RECORDS || mismatches !== 0) {
    throw new Error(
      `Transformer sanity check failed: ${ok} Ok of ${TRANSFORMER_RECORDS}, ${mismatches} outputs differ from the bare loop`,
    );
  }

  let sink = 0;
  const comparison = await interleave(
    () => {
      sink += transformBatch(batch.event, layout).records.length;
    },
    () => {
      sink += bareTransform(batch.event).length;
    },
    options,
  );
  if (sink === 0) throw new Error('unreachable');
  return {
    comparison,
    records: TRANSFORMER_RECORDS,
    meanRecordBytes: batch.meanRecordBytes,
    canonical: batch.canonical,
    envelopes: batch.envelopes,
    ok,
  };
};
