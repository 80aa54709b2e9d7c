/**
 * The routing bus: what an accepted PutEvents entry becomes (the event EventBridge matches and
 * delivers) and which rules take it. Each route is one rule, as shared/routes/cloudformation.ts
 * deploys it: the pattern `rulePattern(route.name, route.pattern)` and the input over the
 * envelope (`envelopePath`; no input is `InputPath: $.detail`).
 *
 * The event's fields ("Amazon EventBridge events", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html):
 * `version` "0", a new `id`, `detail-type`, `source`, `account`, `time` (the entry's Time, else
 * when the bus took it), `region`, `resources` (the entry's, else []) and `detail` (the entry's
 * Detail, a JSON object).
 */
import { randomUUID } from 'node:crypto';
import { envelopePath, rulePattern } from '../../../shared/routes/cloudformation';
import { compileEventPattern, type EventMatcher } from '../../../shared/routes/event-pattern';
import { compileInput, type InputRenderer } from '../../../shared/routes/input-transformer';
import type { Route, RouteInput } from '../../../shared/routes/routes-file';
import type { Deliveries, RuleRuntime } from './delivery';
import type { EventEnvelope } from './types';

/** A PutEvents entry that passed validation. */
export interface AcceptedEntry {
  source: string;
  detailType: string;
  /** Detail parsed: a JSON object. */
  detail: Record<string, unknown>;
  resources: string[];
  /** The entry's Time (epoch ms), if given. */
  timeMs?: number;
}

/** EventBridge's `time`: ISO 8601 to the second (`2026-03-14T15:09:26Z`). */
export const eventTime = (epochMs: number): string => `${new Date(epochMs).toISOString().slice(0, 19)}Z`;

export const toEnvelope = (
  entry: AcceptedEntry,
  bus: { account: string; region: string; nowMs: number; id?: string },
): EventEnvelope => ({
  version: '0',
  id: bus.id ?? randomUUID(),
  'detail-type': entry.detailType,
  source: entry.source,
  account: bus.account,
  time: eventTime(entry.timeMs ?? bus.nowMs),
  region: bus.region,
  resources: entry.resources,
  detail: entry.detail,
});

/** A route's input written over the envelope, as the deployed target has it (no input: the canonical event, `$.detail`). */
export const envelopeInput = (input: RouteInput | undefined): RouteInput => {
  if (input === undefined) return { path: '$.detail' };
  if ('path' in input) return { path: envelopePath(input.path) };
  return {
    pathsMap: Object.fromEntries(Object.entries(input.pathsMap).map(([name, path]) => [name, envelopePath(path)])),
    template: input.template,
  };
};

/** What the bus keeps of a route: its rule's matcher and input renderer. */
export interface CompiledRule {
  route: Route;
  matches: EventMatcher;
  render: InputRenderer;
}

/** Compiles a route's rule (throws EventPatternError / InputTransformerError as PutRule / PutTargets would). */
export const compileRule = (route: Route): CompiledRule => ({
  route,
  matches: compileEventPattern(rulePattern(route.name, route.pattern)),
  render: compileInput(envelopeInput(route.input)),
});

/**
 * The routing bus: takes an accepted entry in as an event and starts a delivery to every rule
 * that matches it. Deliveries run on their own (./delivery.ts), so publish() returns at once: a
 * slow or failing target never holds up another target or the PutEvents answer.
 */
export class RoutingBus {
  constructor(
    private readonly rules: readonly RuleRuntime[],
    private readonly deliveries: Deliveries,
    private readonly identity: { account: string; region: string },
  ) {}

  /** Returns the event; `nowMs` is when the bus took it in (its ingestion time and, without a Time, its `time`). */
  publish(entry: AcceptedEntry, nowMs: number): EventEnvelope {
    const envelope = toEnvelope(entry, { ...this.identity, nowMs });
    for (const rule of this.rules) if (rule.compiled.matches(envelope)) this.deliveries.start(rule, envelope, nowMs);
    return envelope;
  }
}
