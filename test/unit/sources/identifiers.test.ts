import { identifierProblem, isReservedId } from '../../../shared/identifier';
import { adapt, idScopeOf } from '../../../shared/sources';
import { eventBridgeEnvelope, normalizePayload, usageMeter } from '../../helpers/factories';

describe('identifiers at the edge', () => {
  it.each([
    ['an empty value', ''],
    ['spaces', '   '],
    ['tabs and newlines', '\t\n'],
    ['a no-break and a zero-width space', '\u00a0\u200b'],
    ['a lone high surrogate', 'acme\ud800'],
    ['a lone low surrogate', '\udc00corp'],
    ['U+FFFD (what undecodable bytes become)', 'acme\ufffd'],
  ])('rejects %s', (_case, value) => {
    expect(identifierProblem('clientId', value)).toEqual(expect.stringContaining('clientId'));
  });

  it.each([['acme-corp'], ['日本語'], ['check out'], ['emoji 😀']])('accepts %p', (value) => {
    expect(identifierProblem('clientId', value)).toBeUndefined();
  });

  it.each([
    ['a whitespace-only id', eventBridgeEnvelope({ id: ' \t ' })],
    ['a whitespace-only event type', eventBridgeEnvelope({ 'detail-type': '  ', detail: { eventType: '  ' } })],
    ['a clientId with a lone surrogate', eventBridgeEnvelope({ resources: ['acme\ud800'] })],
    ['a meter name that is only whitespace', usageMeter({ meterApiName: '   ' })],
  ])('quarantines %s as INVALID_IDENTIFIER with its source', (_case, payload) => {
    expect(() => adapt(payload)).toThrow(expect.objectContaining({ reason: 'INVALID_IDENTIFIER' }));
  });

  it('keeps MISSING_CLIENT_ID for an envelope whose clientId is only whitespace', () => {
    expect(() => adapt(eventBridgeEnvelope({ resources: ['   '] }))).toThrow(
      expect.objectContaining({ reason: 'MISSING_CLIENT_ID' }),
    );
  });

  it('rejects a record whose bytes are not valid UTF-8 as MALFORMED_JSON instead of turning them into U+FFFD', () => {
    const text = JSON.stringify(eventBridgeEnvelope({ resources: ['acme-XX'] }));
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf('XX');
    bytes[at] = 0xc3; // a lead byte followed by "X": not UTF-8
    bytes[at + 1] = 0x28;

    expect(() => normalizePayload(bytes, { raw: true })).toThrow(
      expect.objectContaining({ reason: 'MALFORMED_JSON', message: 'Record is not valid UTF-8' }),
    );
  });
});

describe('id scopes and the derived namespace', () => {
  it('scopes records the HTTP API marked to the API, and takes the marker off before the adapter', () => {
    const adapted = adapt({ ...usageMeter({ uniqueId: 'T' }), ingest: 'http-api' });

    expect(adapted).toMatchObject({ source: 'usage-meter', channel: 'http-api', event: { id: 'T' } });
    expect(idScopeOf(adapted)).toBe('http-api/usage-meter');
    expect(idScopeOf(adapt(usageMeter({ uniqueId: 'T' })))).toBe('usage-meter');
    expect(adapted.event.detail).not.toHaveProperty('ingest');
  });

  it('refuses any other ingest marker', () => {
    expect(() => adapt({ ...usageMeter(), ingest: 'stream' })).toThrow(
      expect.objectContaining({ reason: 'SCHEMA_VIOLATION' }),
    );
  });

  it.each([
    ['a meter uniqueId', () => usageMeter({ uniqueId: 'derived:meter:0123456789abcdef0123456789abcdef' })],
    ['an envelope id', () => eventBridgeEnvelope({ id: 'derived:anything' })],
    ['an id in another case', () => eventBridgeEnvelope({ id: 'DERIVED:x' })],
  ])('rejects %s in the derived namespace as RESERVED_ID', (_case, payload) => {
    expect(() => adapt(payload())).toThrow(expect.objectContaining({ reason: 'RESERVED_ID' }));
  });

  it('derives a meter id only in its own namespace', () => {
    expect(adapt(usageMeter()).event.id).toMatch(/^derived:meter:[0-9a-f]{32}$/);
    expect(isReservedId('meter-0123')).toBe(false);
  });
});
