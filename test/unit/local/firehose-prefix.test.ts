import {
  compileDeliveryPrefixes,
  evaluatePrefix,
  formatJavaDateTime,
  PrefixConfigurationError,
  PrefixEvaluationError,
  parsePrefix,
  RANDOM_STRING_LENGTH,
  randomString,
} from '../../../infra/local/firehose/prefix';

// 2026-03-04T05:06:07.089Z, a Wednesday, day 63 of the year.
const ARRIVAL = Date.UTC(2026, 2, 4, 5, 6, 7, 89);

const LAKE_PREFIX =
  'events/clientId=!{partitionKeyFromLambda:clientId}/eventType=!{partitionKeyFromLambda:eventType}/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/';
const LAKE_ERROR_PREFIX =
  'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';

describe('formatJavaDateTime', () => {
  it.each([
    ['yyyy', '2026'],
    ['yy', '26'],
    ['y', '2026'],
    ['uuuu', '2026'],
    ['MM', '03'],
    ['M', '3'],
    ['MMM', 'Mar'],
    ['MMMM', 'March'],
    ['dd', '04'],
    ['d', '4'],
    ['DDD', '063'],
    ['HH', '05'],
    ['H', '5'],
    ['hh a', '05 AM'],
    ['mm', '06'],
    ['ss', '07'],
    ['SSS', '089'],
    ['S', '0'],
    ['EEE', 'Wed'],
    ['EEEE', 'Wednesday'],
    ['yyyy-MM-dd-HH-mm-ss', '2026-03-04-05-06-07'],
    ['yyyy/MM/dd/HH', '2026/03/04/05'],
    ["yyyy'T'HH", '2026T05'],
    ["'year='yyyy", 'year=2026'],
    ["HH''mm", "05'06"],
    ["'it''s' HH", "it's 05"],
  ])('formats %p as %p (UTC)', (pattern, expected) => {
    expect(formatJavaDateTime(pattern, ARRIVAL)).toBe(expected);
  });

  it('uses UTC across a day boundary, and 12-hour clock for the afternoon', () => {
    const lateEvening = Date.UTC(2025, 11, 31, 23, 59, 59, 999);

    expect(formatJavaDateTime('yyyy-MM-dd HH:mm:ss.SSS', lateEvening)).toBe('2025-12-31 23:59:59.999');
    expect(formatJavaDateTime('h a k', lateEvening)).toBe('11 PM 23');
    expect(formatJavaDateTime('k K h', Date.UTC(2026, 0, 1, 0))).toBe('24 0 12');
  });

  it.each([
    ['ddd', /Too many pattern letters/],
    ['HHH', /Too many pattern letters/],
    ['MMMMMM', /Too many pattern letters/],
    ['aa', /Too many pattern letters/],
    ['VV', /not supported/],
    ['zzz', /not supported/],
    ['bb', /not supported/],
    ["'unterminated", /quoted literal/],
    ['yyyy[MM]', /reserved/],
    ['', /Empty/],
  ])('rejects %p', (pattern, message) => {
    expect(() => formatJavaDateTime(pattern, ARRIVAL)).toThrow(PrefixConfigurationError);
    expect(() => formatJavaDateTime(pattern, ARRIVAL)).toThrow(message);
  });
});

describe('parsePrefix', () => {
  it('splits literal text and expressions and records what the prefix uses', () => {
    const prefix = parsePrefix('a/!{partitionKeyFromLambda:k}/!{timestamp:yyyy}/!{firehose:random-string}-x');

    expect(prefix.parts.map((part) => part.kind)).toEqual([
      'literal',
      'partitionKeyFromLambda',
      'literal',
      'timestamp',
      'literal',
      'randomString',
      'literal',
    ]);
    expect(prefix).toMatchObject({
      hasExpressions: true,
      lambdaKeys: ['k'],
      queryKeys: [],
      usesErrorOutputType: false,
      usesRandomString: true,
    });
  });

  it('treats a prefix without !{ as one literal', () => {
    expect(parsePrefix('static/{not-an-expression}/')).toMatchObject({
      hasExpressions: false,
      parts: [{ kind: 'literal', text: 'static/{not-an-expression}/' }],
    });
  });

  it.each([
    ['a/!{timestamp:yyyy', /Unterminated/],
    ['!{nope:x}', /Unknown namespace "nope"/],
    ['!{firehose:whatever}', /Unknown firehose expression/],
    ['!{timestamp}', /namespace:value/],
    ['!{timestamp:}', /empty value/],
    ['!{timestamp:!{timestamp:yyyy}}', /nested/],
    ['!{timestamp:yyyyy-QQ}', /not supported/],
    ['x'.repeat(1025), /limit is 1024/],
  ])('rejects %p', (source, message) => {
    expect(() => parsePrefix(source)).toThrow(PrefixConfigurationError);
    expect(() => parsePrefix(source)).toThrow(message);
  });
});

describe('evaluatePrefix', () => {
  const keys = { clientId: 'client-acme', eventType: 'searching', year: '2026', month: '03', day: '04', hour: '05' };

  it('evaluates the lake prefix from the processor partition keys', () => {
    expect(evaluatePrefix(LAKE_PREFIX, { arrivalTimestamp: ARRIVAL, partitionKeys: keys })).toBe(
      'events/clientId=client-acme/eventType=searching/year=2026/month=03/day=04/hour=05/',
    );
  });

  it('evaluates the error prefix from the error type and the arrival time in UTC', () => {
    expect(evaluatePrefix(LAKE_ERROR_PREFIX, { arrivalTimestamp: ARRIVAL, errorOutputType: 'processing-failed' })).toBe(
      'errors/processing-failed/year=2026/month=03/day=04/hour=05/',
    );
  });

  it('evaluates every timestamp expression to the same instant', () => {
    expect(evaluatePrefix('!{timestamp:HH}/!{timestamp:mm}/!{timestamp:yyyy}', { arrivalTimestamp: ARRIVAL })).toBe(
      '05/06/2026',
    );
  });

  it('uses the given random string, or 11 fresh lowercase alphanumerics', () => {
    expect(evaluatePrefix('r=!{firehose:random-string}/', { arrivalTimestamp: 0, randomString: 'abc' })).toBe('r=abc/');

    const evaluated = evaluatePrefix('!{firehose:random-string}', { arrivalTimestamp: 0 });

    expect(evaluated).toMatch(new RegExp(`^[a-z0-9]{${RANDOM_STRING_LENGTH}}$`));
    expect(randomString()).toMatch(/^[a-z0-9]{11}$/);
  });

  it.each([
    ['missing', { clientId: 'c' }, /"eventType" is missing/],
    ['not a string', { clientId: 'c', eventType: 7 }, /"eventType" is not a string/],
    ['no partition keys at all', undefined, /"clientId" is missing/],
  ])('fails with MetadataExtractionFailed when a key is %s', (_case, partitionKeys, message) => {
    const evaluate = () =>
      evaluatePrefix('!{partitionKeyFromLambda:clientId}/!{partitionKeyFromLambda:eventType}/', {
        arrivalTimestamp: ARRIVAL,
        ...(partitionKeys && { partitionKeys }),
      });

    expect(evaluate).toThrow(PrefixEvaluationError);
    expect(evaluate).toThrow(message);
    expect(evaluate).toThrow(expect.objectContaining({ errorCode: 'DynamicPartitioning.MetadataExtractionFailed' }));
  });
});

describe('compileDeliveryPrefixes', () => {
  const valid = {
    prefix: LAKE_PREFIX,
    errorOutputPrefix: LAKE_ERROR_PREFIX,
    dynamicPartitioning: true,
    hasLambdaProcessor: true,
  };

  it('accepts the pipeline configuration as is', () => {
    const compiled = compileDeliveryPrefixes(valid);

    expect(compiled.prefix.source).toBe(LAKE_PREFIX);
    expect(compiled.errorOutputPrefix.source).toBe(LAKE_ERROR_PREFIX);
  });

  it('appends the default time prefix to prefixes without expressions', () => {
    const compiled = compileDeliveryPrefixes({
      prefix: 'raw/',
      errorOutputPrefix: 'failed/',
      dynamicPartitioning: false,
      hasLambdaProcessor: false,
    });

    expect(evaluatePrefix(compiled.prefix, { arrivalTimestamp: ARRIVAL })).toBe('raw/2026/03/04/05/');
    expect(
      evaluatePrefix(compiled.errorOutputPrefix, { arrivalTimestamp: ARRIVAL, errorOutputType: 'processing-failed' }),
    ).toBe('failed/processing-failed/2026/03/04/05/');
  });

  it.each([
    [
      'an error prefix with expressions but no error-output-type',
      { errorOutputPrefix: 'errors/!{timestamp:yyyy}/' },
      /must contain !\{firehose:error-output-type\}/,
    ],
    [
      'partition keys in the error prefix',
      { errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{partitionKeyFromLambda:clientId}/' },
      /cannot use partition keys/,
    ],
    [
      'partitionKeyFromLambda without dynamic partitioning',
      { dynamicPartitioning: false },
      /requires dynamic partitioning/,
    ],
    ['partitionKeyFromLambda without a Lambda processor', { hasLambdaProcessor: false }, /requires a Lambda processor/],
    ['partitionKeyFromQuery (unsupported here)', { prefix: 'x/!{partitionKeyFromQuery:id}/' }, /not support/],
    [
      'error-output-type in Prefix',
      { prefix: 'x/!{firehose:error-output-type}/' },
      /only be used in ErrorOutputPrefix/,
    ],
    ['dynamic partitioning without an error prefix', { errorOutputPrefix: '' }, /requires an ErrorOutputPrefix/],
  ])('rejects %s', (_case, overrides, message) => {
    const compile = () => compileDeliveryPrefixes({ ...valid, ...overrides });

    expect(compile).toThrow(PrefixConfigurationError);
    expect(compile).toThrow(message);
  });
});
