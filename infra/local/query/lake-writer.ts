import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { evaluateLayoutPrefix, type LakeLayout } from '../../../shared/lake-layout';
import { type TransformLayout, transformRecord } from '../../../shared/transformer/firehose-transform';
import { prng } from '../cli/sample-workload';

/**
 * Writes a lake straight to disk, as the pipeline would have: each record goes through the real
 * transformer (a producer's raw shape is adapted and normalized as the consumer does it, a
 * canonical event takes the fast path), lands under the partition it returns, and objects are
 * GZIP NDJSON of up to `linesPerObject` lines, like Firehose's buffered objects. For tests and the
 * benchmark of the local query engine; a record the transformer fails is an error here.
 */
export class LakeWriter {
  private readonly buffers = new Map<string, Buffer[]>();
  private sequence = 0;
  events = 0;
  objects = 0;

  constructor(
    private readonly dir: string,
    private readonly layout: TransformLayout & Pick<LakeLayout, 'prefix'>,
    private readonly linesPerObject = 10_000,
  ) {}

  /** Transforms `record` (JSON bytes or a value) at `arrivalMillis` and buffers its lake line; returns the object prefix. */
  add(record: unknown, arrivalMillis = Date.now()): string {
    const data = Buffer.isBuffer(record) ? record : Buffer.from(JSON.stringify(record));
    const outcome = transformRecord(data, this.layout, arrivalMillis);
    if (outcome.result !== 'Ok')
      throw new Error(
        `LakeWriter: the transformer returned ${outcome.result}${outcome.result === 'ProcessingFailed' ? ` (${outcome.reason}: ${outcome.message})` : ''}`,
      );
    const prefix = evaluateLayoutPrefix(this.layout.prefix, outcome.partitionKeys);
    const lines = this.buffers.get(prefix) ?? [];
    lines.push(outcome.data);
    this.buffers.set(prefix, lines);
    this.events++;
    if (lines.length >= this.linesPerObject) this.write(prefix);
    return prefix;
  }

  private write(prefix: string): void {
    const lines = this.buffers.get(prefix);
    if (!lines || lines.length === 0) return;
    this.buffers.delete(prefix);
    mkdirSync(join(this.dir, prefix), { recursive: true });
    writeFileSync(
      join(this.dir, prefix, `lake-${String(this.sequence++).padStart(6, '0')}.gz`),
      gzipSync(Buffer.concat(lines)),
    );
    this.objects++;
  }

  /** Writes every partition's buffered lines. */
  flush(): void {
    for (const prefix of [...this.buffers.keys()]) this.write(prefix);
  }
}

/** The sample workload's deterministic PRNG (mulberry32): the same seed gives the same records. */
export const createRandom = prng;

export const SAMPLE_CLIENTS = ['acme-corp', 'globex', 'initech', 'umbrella', 'hooli', 'stark-industries'] as const;
const METERS = ['api_requests', 'storage_gb_hours', 'compute_seconds'] as const;
const ACTIONS = ['Signed Up', 'Invited Teammate', 'Started Trial'] as const;
const CLIENT_EVENT_TYPES = ['page_view', 'searching', 'checkout'] as const;
const ROUTES = [
  ['GET', '/v1/reports'],
  ['POST', '/v1/orders'],
  ['GET', '/v2/users/me'],
] as const;

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/**
 * A mix of the producers' raw shapes, as they put them on the stream: usage meters, product
 * actions, client events (as the HTTP API writes them) and captured API calls, for one of
 * SAMPLE_CLIENTS, at `time`. Ids are `<seed>-<index>` based, so a run's ids are unique.
 */
export const sampleProducerRecord = (index: number, time: Date, random: () => number): Record<string, unknown> => {
  const clientId = pick(random, SAMPLE_CLIENTS);
  const id = `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
  const iso = time.toISOString();
  switch (index % 4) {
    case 0:
      return {
        customerId: clientId,
        meterApiName: pick(random, METERS),
        meterValue: Math.floor(random() * 500) + 1,
        meterTimeInMillis: time.getTime(),
        uniqueId: id,
        dimensions: { region: pick(random, ['eu-west-1', 'us-east-1']) },
      };
    case 1:
      return {
        action_name: pick(random, ACTIONS),
        company_id: clientId,
        user_id: `user-${Math.floor(random() * 1_000)}`,
        transaction_id: id,
        request: { time: iso, uri: 'https://app.example/x' },
        metadata: { plan: pick(random, ['free', 'pro']) },
      };
    case 2:
      return {
        kind: 'client-event',
        id,
        clientId,
        receivedAt: iso,
        entry: { eventType: pick(random, CLIENT_EVENT_TYPES), schemaVersion: 1, data: { page: '/products/1' } },
      };
    default: {
      const [verb, path] = pick(random, ROUTES);
      const duration = Math.floor(random() * 300) + 1;
      return {
        kind: 'api-call',
        id,
        clientId,
        apiCall: {
          request: { time: iso, uri: `https://api.example${path}?page=2`, verb },
          response: { time: new Date(time.getTime() + duration).toISOString(), status: random() < 0.1 ? 500 : 200 },
          duration_ms: duration,
          weight: 1,
        },
      };
    }
  }
};
