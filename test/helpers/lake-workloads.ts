import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { prng } from '../../infra/local/cli/sample-workload';
import type { EventBridgeEnvelope } from './factories';

// Realistic multi-client traffic for the lake tests: EventBridge envelopes as producers send them,
// in random order, and readers of what `npm start -- --out DIR` copied out of the bucket.

export const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const DAY_MS = 86_400_000;

export type Envelope = EventBridgeEnvelope & { detail: { eventType: string; n: number } };

export interface TrafficOptions {
  clients: number;
  types: readonly string[];
  /** Event days back from now (0 = the last hour only when `withinHourMs` is set). */
  days: number;
  perCombination?: number;
  /** All event times within this many milliseconds before now (instead of spread over the day). */
  withinMs?: number;
  seed?: number;
  now?: number;
}

/** clients × types × days × perCombination envelopes, each with a unique id, shuffled. */
export const envelopes = (options: TrafficOptions): Envelope[] => {
  // The sample workload's PRNG: the same seed gives the same traffic, so a failure can be replayed.
  const random = prng(options.seed ?? 1);
  const now = options.now ?? Date.now();
  const out: Envelope[] = [];
  let n = 0;
  for (let client = 0; client < options.clients; client++) {
    for (const type of options.types) {
      for (let day = 0; day < Math.max(options.days, 1); day++) {
        for (let i = 0; i < (options.perCombination ?? 1); i++) {
          // Keep a minute of margin from "now" so no event is in the future when it arrives.
          const offset =
            options.withinMs !== undefined
              ? 60_000 + Math.floor(random() * (options.withinMs - 60_000))
              : 60_000 + Math.floor(random() * (DAY_MS - 120_000));
          n++;
          out.push({
            version: '0',
            id: `lake-${options.seed ?? 1}-${n}`,
            'detail-type': 'Client Event',
            source: 'com.example.lake-test',
            account: '123456789012',
            time: new Date(now - day * DAY_MS - offset).toISOString(),
            region: 'us-east-1',
            resources: [`tenant-${String(client).padStart(4, '0')}`],
            detail: { eventType: type, n },
          });
        }
      }
    }
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as Envelope, out[i] as Envelope];
  }
  return out;
};

export const writeNdjson = async (file: string, records: readonly unknown[]): Promise<void> => {
  await writeFile(file, `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);
};

export interface StartResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm start` (its entry, through tsx) with extra environment; resolves with the exit code, never rejects on 1. */
export const runStart = async (
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 240_000,
): Promise<StartResult> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [TSX, 'infra/local/cli/start.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      maxBuffer: 256 * 1024 * 1024,
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
};

/** Runs a script of the repository through tsx, like `npm run <name>` does. */
export const runScript = async (
  script: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 240_000,
): Promise<StartResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, script, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

export const lastJsonLine = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;

export interface LakeEvent {
  key: string;
  event: { id: string; time: string; detail: { clientId: string; eventType: string } };
}

const walk = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else files.push(path);
  }
  return files;
};

/** Every event under `<out>/events/` (the bucket as `--out` copied it), with its object key. */
export const readLakeDir = async (out: string): Promise<LakeEvent[]> => {
  const events: LakeEvent[] = [];
  for (const file of await walk(join(out, 'events'))) {
    const key = relative(out, file);
    for (const line of gunzipSync(await readFile(file))
      .toString('utf8')
      .split('\n')) {
      if (line !== '') events.push({ key, event: JSON.parse(line) as LakeEvent['event'] });
    }
  }
  return events;
};

/**
 * Checks, independently of the pipeline's own code, that every sent event is in the lake exactly
 * once and in the partition the default layout gives it: `events/event_type=<listed type or
 * _other>/dt=<UTC day of its time>/`. Returns the problems (empty when all is well).
 */
export const lakeProblems = (
  sent: readonly Envelope[],
  lake: readonly LakeEvent[],
  listedTypes: ReadonlySet<string>,
): string[] => {
  const problems: string[] = [];
  const found = new Map<string, LakeEvent[]>();
  for (const entry of lake) found.set(entry.event.id, [...(found.get(entry.event.id) ?? []), entry]);
  for (const envelope of sent) {
    const copies = found.get(envelope.id) ?? [];
    if (copies.length !== 1) {
      problems.push(`${envelope.id}: ${copies.length} copies in the lake`);
      continue;
    }
    const [{ key, event }] = copies as [LakeEvent];
    const type = listedTypes.has(envelope.detail.eventType) ? envelope.detail.eventType : '_other';
    const expected = `events/event_type=${type}/dt=${envelope.time.slice(0, 10)}/`;
    if (!key.startsWith(expected)) problems.push(`${envelope.id}: in ${key}, expected under ${expected}`);
    if (event.detail.clientId !== envelope.resources[0] || event.detail.eventType !== envelope.detail.eventType) {
      problems.push(`${envelope.id}: lost its clientId or real event type`);
    }
  }
  const sentIds = new Set(sent.map((envelope) => envelope.id));
  for (const id of found.keys()) if (!sentIds.has(id)) problems.push(`${id}: in the lake but never sent`);
  return problems.slice(0, 20);
};
