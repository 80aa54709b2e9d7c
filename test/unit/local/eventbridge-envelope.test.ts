import { compileRule, envelopeInput, eventTime, toEnvelope } from '../../../infra/local/eventbridge/bus';
import { ROUTING_DETAIL_TYPE, ROUTING_SOURCE, redriveDetailType } from '../../../shared/routes/cloudformation';
import { compileInput } from '../../../shared/routes/input-transformer';
import type { Route } from '../../../shared/routes/routes-file';

// The event the local routing bus builds from a PutEvents entry and how a route's rule sees it.
// - "Amazon EventBridge events" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html):
//   version "0", id, detail-type, source, account, time, region, resources, detail.
// - A route is deployed as a rule whose pattern is the route's pattern under `detail` and whose
//   target input is written over that envelope (shared/routes/cloudformation.ts, README "Routes");
//   "Amazon EventBridge input transformation" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).

const canonical = {
  id: 'evt-1',
  clientId: 'acme-corp',
  time: '2026-03-14T15:09:26.000Z',
  source: 'client.events',
  detail: { eventType: 'loyaltypurchase', data: { points: 5 } },
};

const route = (overrides: Partial<Route> = {}): Route =>
  ({
    name: 'loyalty-tickets',
    pattern: { source: ['client.events'], detail: { eventType: ['loyaltypurchase'] } },
    target: {
      type: 'http',
      url: 'https://tickets.example.com/v1/tickets',
      method: 'POST',
      headers: {},
      query: {},
      rateLimitPerSecond: 10,
      retry: { maximumAttempts: 185, maximumEventAgeSeconds: 86_400 },
    },
    ...overrides,
  }) as Route;

const accepted = (detail: Record<string, unknown> = canonical, detailType = ROUTING_DETAIL_TYPE) => ({
  source: ROUTING_SOURCE,
  detailType,
  detail,
  resources: [],
});

const context = {
  ruleName: 'loyalty-tickets',
  ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/bus/loyalty-tickets',
  ingestionTime: '2026-03-14T15:09:27.000Z',
};

describe('the routing bus event', () => {
  it('is the envelope EventBridge delivers, with the entry as its detail', () => {
    // Prepare
    const nowMs = Date.parse('2026-03-14T15:09:26.789Z');

    // Act
    const envelope = toEnvelope(accepted(), { account: '000000000000', region: 'eu-west-1', nowMs });

    // Assess
    expect(Object.keys(envelope)).toEqual([
      'version',
      'id',
      'detail-type',
      'source',
      'account',
      'time',
      'region',
      'resources',
      'detail',
    ]);
    expect(envelope).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      'detail-type': 'CanonicalEvent',
      source: 'usage-pipeline.routing',
      account: '000000000000',
      time: '2026-03-14T15:09:26Z',
      region: 'eu-west-1',
      resources: [],
      detail: canonical,
    });
  });

  it("gets a new id per event, and the entry's Time when it has one", () => {
    // Prepare
    const bus = { account: '000000000000', region: 'us-east-1', nowMs: Date.parse('2026-03-14T15:09:26Z') };

    // Act
    const first = toEnvelope(accepted(), bus);
    const second = toEnvelope(accepted(), bus);
    const timed = toEnvelope({ ...accepted(), timeMs: Date.parse('2025-01-02T03:04:05.999Z') }, bus);

    // Assess
    expect(first.id).not.toBe(second.id);
    expect(timed.time).toBe('2025-01-02T03:04:05Z');
    expect(eventTime(0)).toBe('1970-01-01T00:00:00Z');
  });
});

describe("a route's rule", () => {
  const envelopeOf = (detail: Record<string, unknown>, detailType = ROUTING_DETAIL_TYPE) =>
    toEnvelope(accepted(detail, detailType), { account: '000000000000', region: 'us-east-1', nowMs: 0 });

  it('matches the canonical event under detail, from the routing source only', () => {
    // Prepare
    const rule = compileRule(route());

    // Act
    const matching = rule.matches(envelopeOf(canonical));
    const otherType = rule.matches(envelopeOf({ ...canonical, detail: { eventType: 'searching' } }));
    const otherSource = rule.matches({ ...envelopeOf(canonical), source: 'someone.else' });

    // Assess
    expect([matching, otherType, otherSource]).toEqual([true, false, false]);
  });

  it("takes a re-driven dead letter only when it is re-driven to that rule's route", () => {
    // Prepare
    const rule = compileRule(route());
    const other = compileRule(route({ name: 'crm-webhook' }));
    const redriven = envelopeOf(canonical, redriveDetailType('loyalty-tickets'));

    // Act
    const matched = [rule.matches(redriven), other.matches(redriven)];

    // Assess
    expect(matched).toEqual([true, false]);
  });

  it('renders its input over the envelope exactly as the input renders over the canonical event', () => {
    // Prepare
    const input = {
      pathsMap: { id: '$.id', client: '$.clientId', data: '$.detail.data' },
      template: '{"externalId": "<id>", "customer": "<client>", "details": <data>}',
    };
    const rule = compileRule(route({ input }));

    // Act
    const body = rule.render(envelopeOf(canonical), context);

    // Assess
    expect(body).toBe(compileInput(input)(canonical, context));
    expect(JSON.parse(body)).toEqual({ externalId: 'evt-1', customer: 'acme-corp', details: { points: 5 } });
  });

  it('sends the canonical event itself when the route has no input, and the value at a path for `path`', () => {
    // Prepare
    const whole = compileRule(route());
    const path = compileRule(route({ input: { path: '$.detail.data' } }));

    // Act
    const bodies = [whole.render(envelopeOf(canonical), context), path.render(envelopeOf(canonical), context)];

    // Assess
    expect(bodies).toEqual([JSON.stringify(canonical), '{"points":5}']);
    expect(envelopeInput(undefined)).toEqual({ path: '$.detail' });
    expect(envelopeInput({ path: '$' })).toEqual({ path: '$.detail' });
  });
});
