/**
 * A local Amazon EventBridge routing bus for routes.yml, reached with the real
 * `@aws-sdk/client-eventbridge` over HTTP (JSON 1.1): PutEvents takes events in (api.ts), each
 * becomes the event EventBridge delivers and is matched against every route's rule (bus.ts), and
 * each match is delivered to the route's target with the rule target's retry policy and
 * dead-letter queue (delivery.ts, retry.ts, targets/, dead-letter.ts). What it implements, where
 * it differs from AWS and the documentation it follows: infra/local/README.md, "EventBridge".
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { ROUTE_LIMITS } from '../../../shared/routes/limits';
import type { Route } from '../../../shared/routes/routes-file';
import { eventRuleArn, LOCAL_ACCOUNT_ID } from '../runtime/aws';
import { errorMessage } from '../runtime/errors';
import { EventBridgeApi, type EventBridgeBackend, isFailure } from './api';
import { compileRule, RoutingBus } from './bus';
import { Deliveries, type RuleRuntime } from './delivery';
import { DEFAULT_DELIVERY_TIMING } from './retry';
import { apiDestinationTarget } from './targets/api-destination';
import { createTarget, type TargetRegistry } from './targets/target';
import type {
  DeliveryTiming,
  EventBridgeLogger,
  LocalEventBridgeOptions,
  LocalEventBridgeStats,
  LogFn,
  RouteStats,
} from './types';

export type { DeadLetterMessage, DeadLetterQueue, MemoryDeadLetterQueue } from './dead-letter';
export { memoryDeadLetterQueue, sqsDeadLetterQueue } from './dead-letter';
export { type ReceivedRequest, type Receiver, type ReceiverOptions, startReceiver } from './receiver';
export type {
  AttemptFailure,
  AttemptOutcome,
  RetryPolicy,
  Target,
  TargetContext,
  TargetFactory,
  TargetRegistry,
} from './targets/target';
export type {
  DeliveryTiming,
  EventBridgeLogger,
  EventEnvelope,
  LocalEventBridgeOptions,
  LocalEventBridgeStats,
  RouteStats,
} from './types';

const noop: LogFn = () => {};
const toStderr =
  (level: string): LogFn =>
  (message, details) =>
    console.error(`[eventbridge] ${level} ${message}${details ? ` ${JSON.stringify(details)}` : ''}`);

/** The built-in target types; LocalEventBridgeOptions.targets adds or replaces others. */
const BUILT_IN_TARGETS: TargetRegistry = { http: apiDestinationTarget };

export class LocalEventBridge {
  private readonly now: () => number;
  private readonly logger: Required<EventBridgeLogger>;
  private readonly abort = new AbortController();
  private readonly rules: RuleRuntime[] = [];
  private readonly deliveries: Deliveries;
  private readonly bus: RoutingBus;
  private readonly api: EventBridgeApi;
  private readonly routeStats: Record<string, RouteStats> = {};
  private readonly counters = { putEvents: 0, entries: 0, failedEntries: 0 };
  private stopping = false;

  /** Compiles every route's rule and target; throws on a route EventBridge would refuse or whose secret is missing. */
  constructor(private readonly options: LocalEventBridgeOptions) {
    this.now = options.now ?? Date.now;
    // Every request in flight and every wait listens for stop(): as many as there are events pending.
    setMaxListeners(0, this.abort.signal);
    this.logger = {
      debug: options.logger?.debug ?? noop,
      info: options.logger?.info ?? noop,
      warn: options.logger?.warn ?? toStderr('WARN'),
      error: options.logger?.error ?? toStderr('ERROR'),
    };
    const timing: DeliveryTiming = {
      ...DEFAULT_DELIVERY_TIMING,
      requestTimeoutMs: ROUTE_LIMITS.apiDestinationTimeoutSeconds * 1000,
      ...options.timing,
    };
    if (!(timing.backoffBaseMs > 0 && timing.backoffMaxMs >= timing.backoffBaseMs && timing.requestTimeoutMs > 0)) {
      throw new Error('timing: backoffBaseMs must be > 0, backoffMaxMs ≥ backoffBaseMs and requestTimeoutMs > 0');
    }
    const registry: TargetRegistry = { ...BUILT_IN_TARGETS, ...options.targets };
    for (const route of options.routes) {
      const stats: RouteStats = { matched: 0, delivered: 0, retried: 0, deadLettered: 0, dropped: 0, pending: 0 };
      const arn = eventRuleArn(options.region, LOCAL_ACCOUNT_ID, options.busName, route.name);
      const target = createTarget(registry, route, {
        region: options.region,
        accountId: LOCAL_ACCOUNT_ID,
        busName: options.busName,
        ruleArn: arn,
        url: this.urlOf(route),
        secrets: options.secrets,
        logger: this.logger,
        timing,
        now: this.now,
        signal: this.abort.signal,
      });
      this.rules.push({
        compiled: compileRule(route),
        arn,
        target,
        deadLetters: options.deadLetters(route.name),
        stats,
      });
      this.routeStats[route.name] = stats;
    }
    this.deliveries = new Deliveries({
      now: this.now,
      random: options.random ?? Math.random,
      timing,
      logger: this.logger,
      signal: this.abort.signal,
    });
    this.bus = new RoutingBus(this.rules, this.deliveries, { account: LOCAL_ACCOUNT_ID, region: options.region });
    this.api = new EventBridgeApi(this.backend());
  }

  /** Listens on 127.0.0.1 (a free port unless `options.port`); resolves with the endpoint URL (AWS_ENDPOINT_URL_EVENTBRIDGE). */
  async start(): Promise<{ endpoint: string }> {
    if (this.api.listening) throw new Error('LocalEventBridge already started');
    if (this.stopping) throw new Error('LocalEventBridge was stopped');
    return { endpoint: await this.api.listen(this.options.host ?? '127.0.0.1', this.options.port ?? 0) };
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry (every matched event delivered or given up on). */
  drain(): Promise<void> {
    return this.deliveries.drain();
  }

  /**
   * Stops the server, aborts requests in flight and retry waits, and waits for the deliveries to
   * return. Events not yet settled are dropped (`dropped` in stats): drain() first to settle them.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    await this.api.close();
    await this.deliveries.settled();
    for (const rule of this.rules) {
      try {
        await rule.target.close?.();
      } catch (error) {
        this.logger.error('a target did not close cleanly', {
          route: rule.compiled.route.name,
          reason: errorMessage(error),
        });
      }
    }
  }

  stats(): LocalEventBridgeStats {
    const routes: Record<string, RouteStats> = {};
    for (const [name, stats] of Object.entries(this.routeStats)) routes[name] = { ...stats };
    return { ...this.counters, routes };
  }

  private urlOf(route: Route): string {
    return this.options.urlOf?.(route) ?? route.target.url;
  }

  private backend(): EventBridgeBackend {
    return {
      busName: this.options.busName,
      region: this.options.region,
      accountId: LOCAL_ACCOUNT_ID,
      isStopping: () => this.stopping,
      hold: (work) => this.deliveries.hold(work),
      refused: () => {
        this.counters.putEvents++;
      },
      putEvents: (results) => {
        this.counters.putEvents++;
        const nowMs = this.now();
        return results.map((result) => {
          if (isFailure(result)) {
            this.counters.failedEntries++;
            return undefined;
          }
          this.counters.entries++;
          // The default bus has no rules here: its events are taken and match nothing.
          if (result.bus !== this.options.busName) return randomUUID();
          return this.bus.publish(result.entry, nowMs).id;
        });
      },
    };
  }
}
