import { adapt, SOURCE_ADAPTERS } from '../../../shared/sources';
import { apiCallRecord, companyProfileRecord, userProfileRecord } from '../../helpers/capture-factories';
import { clientEventRecordPayload, eventBridgeEnvelope, productAction, usageMeter } from '../../helpers/factories';

const SHAPES: [string, Record<string, unknown>][] = [
  ['client-event', { ...clientEventRecordPayload() }],
  ['product-action', { ...productAction() }],
  ['usage-meter', { ...usageMeter() }],
  ['api-call', { ...apiCallRecord() }],
  ['user-profile', { ...userProfileRecord() }],
  ['company-profile', { ...companyProfileRecord() }],
  ['eventbridge', { ...eventBridgeEnvelope() }],
];

describe('source routing', () => {
  it('registers the adapters most specific first', () => {
    expect(SOURCE_ADAPTERS.map((adapter) => adapter.name)).toEqual([
      'client-event',
      'product-action',
      'usage-meter',
      'api-call',
      'user-profile',
      'company-profile',
      'eventbridge',
    ]);
  });

  it.each(SHAPES)('routes a %s payload to exactly one adapter, its own', (name, payload) => {
    // Act
    const claimants = SOURCE_ADAPTERS.filter((adapter) => adapter.matches(payload)).map((adapter) => adapter.name);

    // Assess
    expect(claimants).toEqual([name]);
    expect(adapt(payload).source).toBe(name);
  });

  it.each([
    ['a product action that is also a usage meter', { ...productAction(), ...usageMeter() }],
    ['a product action carrying kind client-event', { ...productAction(), kind: 'client-event' }],
    ['a usage meter carrying detail-type', { ...usageMeter(), 'detail-type': 'x' }],
    ['a client-event record carrying meterApiName', { ...clientEventRecordPayload(), meterApiName: 'x' }],
    ['a product action carrying kind api-call', { ...productAction(), kind: 'api-call' }],
    ['a usage meter carrying kind user-profile', { ...usageMeter(), kind: 'user-profile' }],
    ['an API-call record carrying action_name', { ...apiCallRecord(), action_name: 'x' }],
    ['a user profile carrying meterApiName', { ...userProfileRecord(), meterApiName: 'x' }],
    ['a company profile carrying action_name', { ...companyProfileRecord(), action_name: 'x' }],
    ['an object of another kind', { kind: 'server-event', id: '1' }],
    ['an object with unrelated keys', { customer: 'c', value: 3 }],
  ])('rejects %s as UNKNOWN_SOURCE rather than guessing', (_case, payload) => {
    expect(() => adapt(payload)).toThrow(expect.objectContaining({ reason: 'UNKNOWN_SOURCE' }));
  });

  it('leaves an EventBridge envelope to the EventBridge adapter even with another marker inside', () => {
    expect(adapt({ ...eventBridgeEnvelope(), action_name: 'x', meterApiName: 'y', kind: 'client-event' }).source).toBe(
      'eventbridge',
    );
  });
});
