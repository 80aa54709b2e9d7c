import { join } from 'node:path';
import { envelopeInput } from '../../../infra/local/eventbridge/bus';
import { routeChecks } from '../../../shared/routes/checks';
import { compileEventPattern } from '../../../shared/routes/event-pattern';
import { compileInput } from '../../../shared/routes/input-transformer';
import { loadRoutesFile, type Route } from '../../../shared/routes/routes-file';

// The presets README documents (examples/routes-presets.yml): each matches its events and maps the
// canonical event to the vendor's fields, rendered as EventBridge would on the routing envelope.

const presets = loadRoutesFile(
  join(__dirname, '..', '..', '..', 'examples', 'routes-presets.yml'),
  'deploy',
  routeChecks,
);
const preset = (name: string): Route => {
  const found = presets.find((route) => route.name === name);
  if (!found) throw new Error(`no preset ${name}`);
  return found;
};
const CONTEXT = {
  ruleName: 'preset',
  ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/routing/preset',
  ingestionTime: '2026-12-02T10:00:00Z',
};
/** How the routing bus carries a canonical event: as the envelope's detail. */
const envelope = (canonical: Record<string, unknown>) => ({
  version: '0',
  id: 'eb-1',
  'detail-type': 'CanonicalEvent',
  source: 'usage-pipeline.routing',
  account: '000000000000',
  time: CONTEXT.ingestionTime,
  region: 'us-east-1',
  resources: [],
  detail: canonical,
});
const render = (route: Route, canonical: Record<string, unknown>): unknown => {
  // The input as the rule applies it to the envelope: paths nested under detail, as deployed.
  return JSON.parse(compileInput(envelopeInput(route.input))(envelope(canonical), CONTEXT));
};
const matches = (route: Route, canonical: Record<string, unknown>) => compileEventPattern(route.pattern)(canonical);

const base = { receivedAt: '2026-12-02T09:00:01.000Z', environment: 'dev', envelopeVersion: '2' };

it('maps a product action to the actions vendor fields', () => {
  const action = {
    ...base,
    id: '7d0c1e2f-3a4b-4c5d-8e6f-708192a3b4c5',
    source: 'product.actions',
    'detail-type': 'checkout',
    time: '2026-12-02T09:00:00.000Z',
    clientId: 'acme',
    idScope: 'product-action',
    detail: {
      eventType: 'checkout',
      user_id: 'u-1',
      transaction_id: '7d0c1e2f-3a4b-4c5d-8e6f-708192a3b4c5',
      request: { time: '2026-12-02T09:00:00Z' },
      metadata: { plan: 'pro', seats: 3 },
    },
  };

  expect(matches(preset('actions-vendor'), action)).toBe(true);
  expect(render(preset('actions-vendor'), action)).toEqual({
    action_name: 'checkout',
    company_id: 'acme',
    user_id: 'u-1',
    transaction_id: '7d0c1e2f-3a4b-4c5d-8e6f-708192a3b4c5',
    request: { time: '2026-12-02T09:00:00.000Z' },
    metadata: { plan: 'pro', seats: 3 },
  });
});

it('maps a usage meter to the billing ingest fields', () => {
  const meter = {
    ...base,
    id: 'derived:meter:0123456789abcdef0123456789abcdef',
    source: 'usage.meters',
    'detail-type': 'api_requests',
    time: '2026-12-02T08:59:00.000Z',
    clientId: 'acme',
    idScope: 'usage-meter',
    detail: {
      eventType: 'api_requests',
      meterApiName: 'api_requests',
      meterValue: 42,
      meterTimeInMillis: 1_795_510_740_000,
      dimensions: { region: 'eu' },
    },
  };

  expect(matches(preset('meters-billing'), meter)).toBe(true);
  expect(matches(preset('actions-vendor'), meter)).toBe(false);
  expect(render(preset('meters-billing'), meter)).toEqual({
    customerId: 'acme',
    meterApiName: 'api_requests',
    meterValue: 42,
    meterTimeInMillis: 1_795_510_740_000,
    dimensions: { region: 'eu' },
    uniqueId: 'derived:meter:0123456789abcdef0123456789abcdef',
  });
});

it('opens a ticket for a loyalty purchase and nothing else', () => {
  const purchase = {
    ...base,
    id: 'e-1',
    source: 'client.events',
    'detail-type': 'ClientEvent',
    time: '2026-12-02T09:00:00.000Z',
    clientId: 'acme',
    idScope: 'client-event',
    detail: { eventType: 'loyaltypurchase', data: { points: 120 } },
  };

  expect(matches(preset('loyalty-tickets'), purchase)).toBe(true);
  expect(matches(preset('loyalty-tickets'), { ...purchase, detail: { eventType: 'searching' } })).toBe(false);
  expect(render(preset('loyalty-tickets'), purchase)).toEqual({
    externalId: 'e-1',
    customer: 'acme',
    openedAt: '2026-12-02T09:00:00.000Z',
    subject: 'Loyalty purchase',
    details: { points: 120 },
  });
});
