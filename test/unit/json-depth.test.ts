import { InvalidRecordError } from '../../shared/errors';
import { parseJsonBody, RequestRejected } from '../../shared/ingest/http-request';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../../shared/json-depth';
import { transformRecord } from '../../shared/transformer/firehose-transform';
import { normalizePayload, testLayout } from '../helpers/factories';

// JSON nested deeper than MAX_JSON_DEPTH gets its own reason code, before anything recurses into
// it (without the check, deep enough input surfaced as "Maximum call stack size exceeded").

const nested = (levels: number, open = '{"a":', close = '}') => `${open.repeat(levels)}1${close.repeat(levels)}`;

describe('exceedsJsonDepth', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH + 1, '[', ']'))).toBe(true);
    expect(exceedsJsonDepth(JSON.stringify({ text: '{'.repeat(500) }))).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ text: `\\"${'['.repeat(100)}` }))).toBe(false);
    // Many siblings are not depth.
    expect(exceedsJsonDepth(JSON.stringify(Array.from({ length: 200 }, () => ({ a: [1] }))))).toBe(false);
  });
});

describe('a payload nested too deep', () => {
  const envelope = (levels: number) =>
    `{"version":"0","id":"deep-1","source":"app","detail-type":"T","time":"${new Date().toISOString()}","resources":["c1"],"detail":{"eventType":"e","data":${nested(levels)}}}`;

  it('is quarantined by the consumer as JSON_TOO_DEEP, even 100,000 levels deep', () => {
    for (const levels of [40, 100_000]) {
      let caught: unknown;
      try {
        normalizePayload(envelope(levels), { raw: true });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidRecordError);
      expect(caught).toMatchObject({
        reason: 'JSON_TOO_DEEP',
        message: `Record nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`,
      });
    }
  });

  it('is ProcessingFailed in the transformer with the same code', () => {
    expect(transformRecord(Buffer.from(envelope(50_000)), testLayout())).toMatchObject({
      result: 'ProcessingFailed',
      reason: 'JSON_TOO_DEEP',
    });
  });

  it('is a 400 JsonTooDeep from the HTTP API, not a stack trace', () => {
    let caught: unknown;
    try {
      parseJsonBody(nested(100_000));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RequestRejected);
    expect(caught).toMatchObject({ statusCode: 400, code: 'JsonTooDeep' });
  });
});

describe('meterValue', () => {
  const meter = (value: string) =>
    `{"customerId":"c1","meterApiName":"api_calls","meterValue":${value},"meterTimeInMillis":${Date.now() - 60_000}}`;
  const reasonOf = (text: string) => {
    try {
      normalizePayload(text, { raw: true });
      return undefined;
    } catch (error) {
      return error as InvalidRecordError;
    }
  };

  it('rejects a value that is not finite, naming the real value (1e400 reads as Infinity, not null)', () => {
    expect(reasonOf(meter('1e400'))).toMatchObject({
      reason: 'INVALID_METER_VALUE',
      message: 'Usage meter meterValue must be a finite number, got Infinity',
    });
  });

  it('rejects an integer beyond ±2^53, which a double cannot count exactly', () => {
    expect(reasonOf(meter('9007199254740993'))).toMatchObject({
      reason: 'INVALID_METER_VALUE',
      message: expect.stringContaining('beyond ±2^53'),
    });
    expect(reasonOf(meter('-9007199254740994'))).toMatchObject({ reason: 'INVALID_METER_VALUE' });
    expect(reasonOf(meter('9007199254740991'))?.reason).not.toBe('INVALID_METER_VALUE');
    expect(reasonOf(meter('12.75'))?.reason).not.toBe('INVALID_METER_VALUE');
  });
});
