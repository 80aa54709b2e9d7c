import {
  EventTypeLimiter,
  MAX_PARTITION_VALUE_LENGTH,
  OTHER_EVENT_TYPE,
  partitionKeys,
  sanitizePartitionValue,
  UNKNOWN_PARTITION_VALUE,
} from '../../shared/partition';

describe('partitionKeys', () => {
  it('keys clientId, eventType and the UTC hour of the event time', () => {
    // Act
    const keys = partitionKeys({ clientId: 'client-acme', eventType: 'searching', time: '2026-03-14T15:08:00.123Z' });

    // Assess
    expect(keys).toEqual({ clientId: 'client-acme', eventType: 'searching', year: '2026', month: '03', day: '14', hour: '15' });
  });

  it('converts an offset time to its UTC hour, across a day boundary', () => {
    const keys = partitionKeys({ clientId: 'c', eventType: 't', time: '2026-12-31T23:30:00-02:00' });

    expect(keys).toMatchObject({ year: '2027', month: '01', day: '01', hour: '01' });
  });

  it.each([['not a time'], ['2026-13-01T00:00:00Z'], ['2026-01-01T24:00:00Z'], ['2026-01-01T10:00:00']])(
    'rejects the invalid time %p with INVALID_EVENT_TIME',
    (time) => {
      expect(() => partitionKeys({ clientId: 'c', eventType: 't', time })).toThrow(
        expect.objectContaining({ reason: 'INVALID_EVENT_TIME' }),
      );
    },
  );
});

describe('sanitizePartitionValue', () => {
  it.each([
    ['../../etc/passwd', '____etc_passwd'],
    ['a/b', 'a_b'],
    ['..', '_'],
    ['.hidden', '_hidden'],
    ['tab\there\nnewline\u0000nul', 'tab_here_newline_nul'],
    ['clientId=evil', 'clientId_evil'],
    ['Processed Payment Transaction', 'Processed_Payment_Transaction'],
    ['café ☕', 'caf___'],
  ])('makes %p S3- and Hive-safe', (raw, expected) => {
    expect(sanitizePartitionValue(raw)).toBe(expected);
  });

  it('never returns a value containing a slash, "..", "=", a control character, or a leading dot', () => {
    const hostile = ['/', '//', '...', '....//....', '\u0001\u007f', '=', 'a..b', '.', ' ', '%2e%2e%2f'];
    for (const raw of hostile) {
      const value = sanitizePartitionValue(raw);
      expect(value).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
      expect(value).not.toContain('..');
    }
  });

  it('uses a placeholder for an empty value', () => {
    expect(sanitizePartitionValue('')).toBe(UNKNOWN_PARTITION_VALUE);
  });

  it('bounds long values and keeps two long values with the same prefix apart', () => {
    const a = sanitizePartitionValue(`${'x'.repeat(200)}a`);
    const b = sanitizePartitionValue(`${'x'.repeat(200)}b`);

    expect(a.length).toBeLessThanOrEqual(MAX_PARTITION_VALUE_LENGTH);
    expect(b.length).toBeLessThanOrEqual(MAX_PARTITION_VALUE_LENGTH);
    expect(a).not.toBe(b);
    expect(sanitizePartitionValue(`${'x'.repeat(200)}a`)).toBe(a);
  });
});

describe('EventTypeLimiter', () => {
  it('gives each client at most N eventType partitions and sends the rest to _other', () => {
    // Prepare
    const limiter = new EventTypeLimiter(3);

    // Act
    const acme = ['a', 'b', 'c', 'd', 'e', 'a'].map((type) => limiter.limit('acme', type));
    const globex = ['z', 'y'].map((type) => limiter.limit('globex', type));

    // Assess
    expect(acme).toEqual(['a', 'b', 'c', OTHER_EVENT_TYPE, OTHER_EVENT_TYPE, 'a']);
    expect(globex).toEqual(['z', 'y']);
  });

  it('bounds the number of distinct eventType values one client can produce', () => {
    const limiter = new EventTypeLimiter(50);
    const values = new Set(Array.from({ length: 10_000 }, (_, i) => limiter.limit('hostile', `type-${i}`)));

    expect(values.size).toBe(51);
  });
});
