import {
  compileEventPattern,
  EventPatternError,
  eventPatternCheck,
  matchesEventPattern,
} from '../../../shared/routes/event-pattern';
import type { Route } from '../../../shared/routes/routes-file';

// The events AWS's pages use, so each case below reads as the page does.
const ec2Event = (detail: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail,
  ...extra,
});

const autoscalingEvent = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

/** The pattern's error, for asserting on its code, path and message together. */
const errorOf = (pattern: unknown): EventPatternError => {
  try {
    compileEventPattern(pattern);
  } catch (error) {
    if (error instanceof EventPatternError) return error;
    throw error;
  }
  throw new Error(`pattern compiled: ${JSON.stringify(pattern)}`);
};

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
describe('event patterns: fields and values', () => {
  const pattern = {
    source: ['aws.ec2'],
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { state: ['terminated'] },
  };

  it('matches the EC2 instance-termination event from the docs and ignores fields the pattern does not name', () => {
    expect(matchesEventPattern(pattern, ec2Event({ 'instance-id': 'i-1234567890abcdef0', state: 'terminated' }))).toBe(
      true,
    );
  });

  it('does not match another state, another source, or an event without the nested field', () => {
    expect(matchesEventPattern(pattern, ec2Event({ state: 'running' }))).toBe(false);
    expect(matchesEventPattern(pattern, { ...ec2Event({ state: 'terminated' }), source: 'aws.fargate' })).toBe(false);
    expect(matchesEventPattern(pattern, { ...ec2Event({}), detail: 'terminated' })).toBe(false);
  });

  it('compares strings character by character, with no case folding', () => {
    expect(matchesEventPattern(pattern, ec2Event({ state: 'Terminated' }))).toBe(false);
  });

  it('matches nothing but JSON objects', () => {
    const matcher = compileEventPattern({ source: ['aws.ec2'] });

    expect([null, 'aws.ec2', ['aws.ec2'], 42].map(matcher)).toEqual([false, false, false, false]);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html (matching event values)
describe('event patterns: several values are alternatives', () => {
  const pattern = { source: ['aws.ec2', 'aws.fargate'] };

  it('matches either listed value', () => {
    expect(matchesEventPattern(pattern, { source: 'aws.fargate' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.ec2' })).toBe(true);
  });

  it('does not match an unlisted value', () => {
    expect(matchesEventPattern(pattern, { source: 'aws.s3' })).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-filtering-data-types.html
describe('event patterns: JSON values (null, numbers, nesting)', () => {
  it('matches a null field with [null] (field matching)', () => {
    const pattern = {
      source: ['aws.autoscaling'],
      'detail-type': ['EC2 Instance Launch Successful'],
      detail: { responseElements: [null] },
    };

    expect(matchesEventPattern(pattern, autoscalingEvent)).toBe(true);
    expect(matchesEventPattern(pattern, { ...autoscalingEvent, detail: { responseElements: {} } })).toBe(false);
  });

  it('matches the Macie finding with a nested severity score and a count (value matching)', () => {
    // Prepare
    const pattern = {
      source: ['aws.macie'],
      'detail-type': ['Macie Finding'],
      detail: { severity: { score: [1] }, count: [2] },
    };
    const finding = {
      source: 'aws.macie',
      'detail-type': 'Macie Finding',
      detail: { severity: { score: 1, description: 'Low' }, count: 2 },
    };

    // Act
    const matcher = compileEventPattern(pattern);

    // Assess
    expect(matcher(finding)).toBe(true);
    expect(matcher({ ...finding, detail: { ...finding.detail, count: 3 } })).toBe(false);
    expect(matcher({ ...finding, detail: { ...finding.detail, count: '2' } })).toBe(false);
  });

  it('compares numbers as numbers (3.0e2 is 300) but never as strings', () => {
    expect(matchesEventPattern({ number: [300] }, { number: 3.0e2 })).toBe(true);
    expect(matchesEventPattern({ number: [300] }, { number: '300' })).toBe(false);
    expect(matchesEventPattern({ flag: [true] }, { flag: 'true' })).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
describe('event patterns: null values and empty strings', () => {
  it('matches an empty string with [""] and null with [null]', () => {
    expect(matchesEventPattern({ detail: { eventVersion: [''] } }, autoscalingEvent)).toBe(true);
    expect(matchesEventPattern({ detail: { responseElements: [null] } }, autoscalingEvent)).toBe(true);
  });

  it('does not treat null and the empty string as interchangeable', () => {
    expect(matchesEventPattern({ detail: { responseElements: [''] } }, autoscalingEvent)).toBe(false);
    expect(matchesEventPattern({ detail: { eventVersion: [null] } }, autoscalingEvent)).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
describe('event patterns: event fields that are arrays', () => {
  const pattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };

  it('matches when the pattern values and the event array intersect', () => {
    const resources = [
      'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
    ];

    expect(matchesEventPattern(pattern, { resources })).toBe(true);
  });

  it('does not match a disjoint or an empty array', () => {
    expect(
      matchesEventPattern(pattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] }),
    ).toBe(false);
    expect(matchesEventPattern(pattern, { resources: [] })).toBe(false);
  });

  // Array-consistent matching: https://github.com/aws/event-ruler#json-array-matching (EventBridge's matcher).
  it('matches fields of an array of objects only within one element', () => {
    // Prepare
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };

    // Act
    const sameElement = matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event);
    const acrossElements = matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event);

    // Assess
    expect(sameElement).toBe(true);
    expect(acrossElements).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-prefix-matching
describe('operators: prefix', () => {
  it('matches a string that starts with the prefix ("time" on 2017-10-02)', () => {
    expect(matchesEventPattern({ time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-02T18:43:48Z' })).toBe(true);
  });

  it('does not match another prefix, or a value that is not a string', () => {
    expect(matchesEventPattern({ time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-03T18:43:48Z' })).toBe(false);
    expect(matchesEventPattern({ code: [{ prefix: '20' }] }, { code: 2017 })).toBe(false);
  });

  it('with equals-ignore-case, matches a prefix in any case ("eventb")', () => {
    const pattern = { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] };

    expect(matchesEventPattern(pattern, { service: 'EventBridge' })).toBe(true);
    expect(matchesEventPattern(pattern, { service: 'Events' })).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-suffix-matching
describe('operators: suffix', () => {
  it('matches a FileName ending in .png', () => {
    expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
  });

  it('does not match another ending, or another case', () => {
    expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.jpg' })).toBe(false);
    expect(matchesEventPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'IMAGE.PNG' })).toBe(false);
  });

  it('with equals-ignore-case, matches "tBridge" in any case', () => {
    const pattern = { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] };

    expect(matchesEventPattern(pattern, { service: 'EVENTBRIDGE' })).toBe(true);
    expect(matchesEventPattern(pattern, { service: 'EventBus' })).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-equals-ignore-case-matching
describe('operators: equals-ignore-case', () => {
  const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };

  it('matches the detail-type regardless of case', () => {
    expect(matchesEventPattern(pattern, ec2Event({}))).toBe(true);
  });

  it('does not match a different string', () => {
    expect(
      matchesEventPattern(pattern, ec2Event({}, { 'detail-type': 'EC2 Spot Instance Interruption Warning' })),
    ).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-anything-but
describe('operators: anything-but', () => {
  it.each([
    ['a string', { state: [{ 'anything-but': 'initializing' }] }, 'running', 'initializing'],
    ['a number', { 'x-limit': [{ 'anything-but': 123 }] }, 301.8, 123],
    ['a list of strings', { state: [{ 'anything-but': ['stopped', 'overloaded'] }] }, 'running', 'overloaded'],
    ['a list of numbers', { 'x-limit': [{ 'anything-but': [100, 200, 300] }] }, 301.8, 200],
    ['a prefix', { state: [{ 'anything-but': { prefix: 'init' } }] }, 'running', 'initializing'],
    ['a suffix', { FileName: [{ 'anything-but': { suffix: '.png' } }] }, 'image.jpg', 'image.png'],
    [
      'equals-ignore-case',
      { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] },
      'running',
      'STOPPED',
    ],
    ['a wildcard', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, '/usr/bin/tool', '/usr/lib/tool'],
  ])('with %s, matches other values and not the excluded one', (_, detail, other, excluded) => {
    // Prepare
    const [field = ''] = Object.keys(detail);
    const matcher = compileEventPattern({ detail });

    // Act
    const results = [matcher(ec2Event({ [field]: other })), matcher(ec2Event({ [field]: excluded }))];

    // Assess
    expect(results).toEqual([true, false]);
  });

  it('matches null and values of another type, but not a missing field', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };

    expect(matchesEventPattern(pattern, ec2Event({ state: null }))).toBe(true);
    expect(matchesEventPattern(pattern, ec2Event({ state: 42 }))).toBe(true);
    expect(matchesEventPattern(pattern, ec2Event({}))).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#filtering-numeric-matching
describe('operators: numeric', () => {
  const pattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };

  it('matches when every field is in its range (301.8 equals 3.018e2)', () => {
    expect(matchesEventPattern(pattern, ec2Event({ 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 }))).toBe(true);
  });

  it('does not match a value outside a range, on an open bound, or a numeric string', () => {
    expect(matchesEventPattern(pattern, ec2Event({ 'c-count': 6, 'd-count': 3, 'x-limit': 301.8 }))).toBe(false);
    expect(matchesEventPattern(pattern, ec2Event({ 'c-count': 0, 'd-count': 3, 'x-limit': 301.8 }))).toBe(false);
    expect(matchesEventPattern(pattern, ec2Event({ 'c-count': '5', 'd-count': 3, 'x-limit': 301.8 }))).toBe(false);
  });

  it('compares at the documented precision, six digits right of the decimal point', () => {
    expect(matchesEventPattern({ n: [{ numeric: ['>', 0.1] }] }, { n: 0.15 })).toBe(true);
    expect(matchesEventPattern({ n: [{ numeric: ['=', 0.3] }] }, { n: 0.1 + 0.2 })).toBe(true);
    expect(matchesEventPattern({ n: [{ numeric: ['=', 0.3] }] }, { n: 0.300001 })).toBe(false);
  });

  it('matches ["=", 300] against 300.0 and 3.0e2, and never a value beyond the documented range', () => {
    expect(matchesEventPattern({ n: [{ numeric: ['=', 300] }] }, { n: 300.0 })).toBe(true);
    expect(matchesEventPattern({ n: [{ numeric: ['>=', 0] }] }, { n: 6e9 })).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-ip-matching
describe('operators: cidr', () => {
  const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };

  it('matches an address inside 10.0.0.0/24', () => {
    expect(matchesEventPattern(pattern, ec2Event({ sourceIPAddress: '10.0.0.255' }))).toBe(true);
  });

  it('does not match an address outside it, or a value that is not an address', () => {
    expect(matchesEventPattern(pattern, ec2Event({ sourceIPAddress: '10.0.1.0' }))).toBe(false);
    expect(matchesEventPattern(pattern, ec2Event({ sourceIPAddress: 'localhost' }))).toBe(false);
  });

  it('matches IPv6 blocks too', () => {
    expect(matchesEventPattern({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:DB8:1234::1' })).toBe(true);
    expect(matchesEventPattern({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' })).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-exists-matching
describe('operators: exists', () => {
  it('exists: true matches an event with detail.state, including null and empty values', () => {
    const pattern = { detail: { state: [{ exists: true }] } };

    expect(matchesEventPattern(pattern, ec2Event({ 'instance-id': 'i-abcd1111', state: 'pending' }))).toBe(true);
    expect(matchesEventPattern(pattern, ec2Event({ state: null }))).toBe(true);
    expect(matchesEventPattern(pattern, ec2Event({ state: '' }))).toBe(true);
  });

  it('exists: true does not match a missing field, an intermediate node, or an empty array (leaf nodes only)', () => {
    const pattern = { detail: { 'c-count': [{ exists: true }] } };

    expect(matchesEventPattern({ detail: { state: [{ exists: true }] } }, ec2Event({ 'c-count': { c1: 100 } }))).toBe(
      false,
    );
    expect(matchesEventPattern(pattern, ec2Event({ 'c-count': { c1: 100 } }))).toBe(false);
    expect(matchesEventPattern({ resources: [{ exists: true }] }, autoscalingEvent)).toBe(false);
  });

  it('exists: false matches a missing field, or one that is only an intermediate node', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };

    expect(matchesEventPattern(pattern, ec2Event({ state: 'running' }))).toBe(true);
    expect(matchesEventPattern(pattern, ec2Event({ 'c-count': { c1: 100 } }))).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.ec2' })).toBe(true);
  });

  it('exists: false does not match a present field, even a null one', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };

    expect(matchesEventPattern(pattern, ec2Event({ 'c-count': 5 }))).toBe(false);
    expect(matchesEventPattern(pattern, ec2Event({ 'c-count': null }))).toBe(false);
  });

  it('exists: false inside an array of objects looks at the element the other fields matched in', () => {
    // Prepare: https://github.com/aws/event-ruler#json-array-matching
    const event = { employees: [{ firstName: 'John', ids: [1000] }, { firstName: 'Anna' }] };

    // Act
    const annaWithoutIds = matchesEventPattern({ employees: { firstName: ['Anna'], ids: [{ exists: false }] } }, event);
    const johnWithoutIds = matchesEventPattern({ employees: { firstName: ['John'], ids: [{ exists: false }] } }, event);

    // Assess
    expect(annaWithoutIds).toBe(true);
    expect(johnWithoutIds).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching
describe('operators: wildcard', () => {
  it('matches any .png file within the folder "dir"', () => {
    expect(matchesEventPattern({ FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'dir/sub/image.png' })).toBe(
      true,
    );
  });

  it('does not match outside the folder or with another extension', () => {
    expect(matchesEventPattern({ FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'other/image.png' })).toBe(false);
    expect(matchesEventPattern({ FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'dir/image.jpg' })).toBe(false);
  });

  it('matches an event bus ARN in any account', () => {
    const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };

    expect(
      matchesEventPattern(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus' }),
    ).toBe(true);
    expect(
      matchesEventPattern(pattern, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/myEventBus' }),
    ).toBe(false);
  });

  it('treats \\* as a literal asterisk and \\\\ as a literal backslash', () => {
    expect(matchesEventPattern({ v: [{ wildcard: 'a\\*b' }] }, { v: 'a*b' })).toBe(true);
    expect(matchesEventPattern({ v: [{ wildcard: 'a\\*b' }] }, { v: 'axb' })).toBe(false);
    expect(matchesEventPattern({ v: [{ wildcard: 'c:\\\\*' }] }, { v: 'c:\\temp' })).toBe(true);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-complex-example-or
describe('operators: $or', () => {
  const pattern = {
    detail: {
      $or: [
        { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
        { 'd-count': [{ numeric: ['<', 10] }] },
        { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
      ],
    },
  };

  it('matches when any alternative matches', () => {
    expect(matchesEventPattern(pattern, ec2Event({ 'd-count': 3 }))).toBe(true);
    expect(matchesEventPattern(pattern, ec2Event({ 'c-count': 50, 'x-limit': 301.8 }))).toBe(true);
  });

  it('does not match when no alternative does', () => {
    expect(matchesEventPattern(pattern, ec2Event({ 'c-count': 50, 'd-count': 10, 'x-limit': 300 }))).toBe(false);
  });

  it('ANDs the alternatives with the fields beside $or', () => {
    // Prepare: "Or has an And inside", https://github.com/aws/event-ruler#rule-examples-with-or-primitive
    const withAnd = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization'] }, { metricType: ['MetricType'], namespace: ['AWS/EC2'] }],
    };

    // Act
    const matcher = compileEventPattern(withAnd);

    // Assess
    expect(matcher({ source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2' })).toBe(true);
    expect(matcher({ source: 'aws.cloudwatch', metricType: 'MetricType' })).toBe(false);
    expect(matcher({ source: 'aws.ec2', metricName: 'CPUUtilization' })).toBe(false);
  });

  it('reads "$or" that is not an array as an ordinary field name, as event-ruler does for legacy patterns', () => {
    const legacy = { $or: { metricType: ['MetricType'] } };

    expect(matchesEventPattern(legacy, { $or: { metricType: 'MetricType' } })).toBe(true);
    expect(matchesEventPattern(legacy, { metricType: 'MetricType' })).toBe(false);
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-complex-example
describe('operators combined', () => {
  const pattern = {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
    },
  };
  const detail = { state: 'running', 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 };

  it('matches when every condition holds', () => {
    expect(matchesEventPattern(pattern, ec2Event(detail, { time: '2017-10-02T16:24:49Z' }))).toBe(true);
  });

  it('does not match when one condition fails', () => {
    expect(
      matchesEventPattern(pattern, ec2Event({ ...detail, 'x-limit': 300 }, { time: '2017-10-02T16:24:49Z' })),
    ).toBe(false);
    expect(matchesEventPattern(pattern, ec2Event(detail, { time: '2017-10-03T16:24:49Z' }))).toBe(false);
  });
});

// What PutRule rejects (InvalidEventPatternException); reasons from the pages above and event-ruler's compiler.
describe('pattern validation', () => {
  it.each([
    ['a pattern that is not an object', ['aws.ec2'], '', /must be a JSON object/],
    ['a value that is not in an array', { source: 'aws.ec2' }, 'source', /must be an object or an array/],
    ['an empty array', { detail: { eventType: [] } }, 'detail.eventType', /empty arrays are not allowed/],
    ['an empty object', { detail: {} }, 'detail', /empty objects are not allowed/],
    [
      'a nested array as a value',
      { detail: { eventType: [['a']] } },
      'detail.eventType[0]',
      /must be a string, a number/,
    ],
    [
      'an unknown operator',
      { detail: { eventType: [{ contains: 'x' }] } },
      'detail.eventType[0]',
      /unknown operator "contains"/,
    ],
    [
      'an operator in the wrong case',
      { detail: { eventType: [{ EXISTS: true }] } },
      'detail.eventType[0]',
      /unknown operator "EXISTS"/,
    ],
    ['two operators in one object', { a: [{ prefix: 'x', suffix: 'y' }] }, 'a[0]', /one operator, not 2/],
    ['an empty operator object', { a: [{}] }, 'a[0]', /needs an operator/],
    ['a number as a prefix', { a: [{ prefix: 1 }] }, 'a[0].prefix', /must be a string or/],
    [
      'an unsupported prefix option',
      { a: [{ prefix: { wildcard: 'x' } }] },
      'a[0].prefix',
      /only the option "equals-ignore-case"/,
    ],
    ['a list as a suffix', { a: [{ suffix: ['.png'] }] }, 'a[0].suffix', /must be a string or/],
    [
      'a number for equals-ignore-case',
      { a: [{ 'equals-ignore-case': 5 }] },
      'a[0].equals-ignore-case',
      /must be a string/,
    ],
    [
      'consecutive wildcards',
      { a: [{ wildcard: 'arn:**:bus' }] },
      'a[0].wildcard',
      /consecutive wildcard characters at position 4/,
    ],
    [
      'an escape other than \\* and \\\\',
      { a: [{ wildcard: 'a\\d' }] },
      'a[0].wildcard',
      /invalid escape at position 1/,
    ],
    ['exists that is not a boolean', { a: [{ exists: 'yes' }] }, 'a[0].exists', /true or false/],
    ['numeric that is not an array', { a: [{ numeric: 5 }] }, 'a[0].numeric', /must be an array/],
    [
      'numeric with two lower bounds',
      { a: [{ numeric: ['>', 0, '>', 0] }] },
      'a[0].numeric[2]',
      /expected one of "<", "<="/,
    ],
    ['numeric with a string operand', { a: [{ numeric: ['<', '10'] }] }, 'a[0].numeric[1]', /must be a number/],
    ['numeric with an unknown comparison', { a: [{ numeric: ['!=', 10] }] }, 'a[0].numeric[0]', /expected one of/],
    [
      'numeric with an upper bound after "<"',
      { a: [{ numeric: ['<', 10, '<', 20] }] },
      'a[0].numeric',
      /takes one number/,
    ],
    [
      'numeric with the bounds reversed',
      { a: [{ numeric: ['>', 10, '<', 10] }] },
      'a[0].numeric',
      /lower bound must be less/,
    ],
    ['numeric with too many terms', { a: [{ numeric: ['>', 0, '<', 10, 20] }] }, 'a[0].numeric', /too many terms/],
    [
      'a number beyond the documented range',
      { a: [{ numeric: ['>', 6e9] }] },
      'a[0].numeric[1]',
      /outside EventBridge's numeric range/,
    ],
    ['anything-but null', { a: [{ 'anything-but': null }] }, 'a[0].anything-but', /must be a string, a number/],
    [
      'anything-but of mixed types',
      { a: [{ 'anything-but': ['a', 1] }] },
      'a[0].anything-but',
      /all strings or all numbers/,
    ],
    [
      'anything-but with null in a list',
      { a: [{ 'anything-but': ['a', null] }] },
      'a[0].anything-but[1]',
      /strings or numbers/,
    ],
    [
      'an empty anything-but list',
      { a: [{ 'anything-but': [] }] },
      'a[0].anything-but',
      /empty arrays are not allowed/,
    ],
    [
      'an empty anything-but prefix',
      { a: [{ 'anything-but': { prefix: '' } }] },
      'a[0].anything-but.prefix',
      /empty prefix is not allowed/,
    ],
    [
      'anything-but prefix ignoring case',
      { a: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'x' } } }] },
      'a[0].anything-but.prefix',
      /must be a string/,
    ],
    [
      'an unsupported anything-but option',
      { a: [{ 'anything-but': { numeric: ['>', 1] } }] },
      'a[0].anything-but',
      /unsupported anything-but option "numeric"/,
    ],
    [
      'anything-but equals-ignore-case with a number',
      { a: [{ 'anything-but': { 'equals-ignore-case': 5 } }] },
      'a[0].anything-but.equals-ignore-case',
      /must be a string/,
    ],
    ['a CIDR without a mask', { a: [{ cidr: '10.0.0.0' }] }, 'a[0].cidr', /exactly one "\/"/],
    ['a CIDR with a bad mask', { a: [{ cidr: '10.0.0.0/x' }] }, 'a[0].cidr', /mask bits must be an integer/],
    ['a CIDR with a bad address', { a: [{ cidr: 'xx.11.xx/24' }] }, 'a[0].cidr', /is not an IPv4 or IPv6 address/],
    ['a CIDR that is not a string', { a: [{ cidr: 10 }] }, 'a[0].cidr', /must be a string/],
    ['$or with one alternative', { $or: [{ a: ['x'] }] }, '$or', /at least two alternatives/],
    ['$or with a non-object alternative', { $or: [{ a: ['x'] }, 'b'] }, '$or[1]', /must be an object/],
    [
      'an operator name as a field inside $or',
      { $or: [{ numeric: 123 }, { prefix: 'abc' }] },
      '$or[0].numeric',
      /operator name/,
    ],
    ['a number that is not JSON', { a: [Number.POSITIVE_INFINITY] }, 'a[0]', /not a JSON number/],
  ])('rejects %s', (_, pattern, path, message) => {
    // Act
    const error = errorOf(pattern);

    // Assess
    expect(error).toMatchObject({ name: 'EventPatternError', code: 'INVALID_EVENT_PATTERN', path });
    expect(error.message).toMatch(message);
    if (path !== '') expect(error.message).toContain(path);
  });

  it('names the element of a value list: detail.eventType[1]', () => {
    expect(errorOf({ detail: { eventType: ['signup', { prefix: 3 }] } }).path).toBe('detail.eventType[1].prefix');
  });

  it('accepts 1,000 $or combinations and rejects more', () => {
    // Prepare: the count multiplies across $or arrays (10 x 10 x 10, then x 2 once more).
    const alternatives = (field: string, count: number) =>
      Array.from({ length: count }, (_, index) => ({ [field]: [index] }));
    const thousand = {
      a: { $or: alternatives('x', 10) },
      b: { $or: alternatives('y', 10) },
      c: { $or: alternatives('z', 10) },
    };
    const more = { ...thousand, d: { $or: alternatives('w', 2) } };

    // Act
    const matcher = compileEventPattern(thousand);

    // Assess
    expect(matcher({ a: { x: 9 }, b: { y: 0 }, c: { z: 5 } })).toBe(true);
    expect(errorOf(more).message).toMatch(/more than 1000 rule combinations/);
  });
});

describe('eventPatternCheck', () => {
  const route = (pattern: Record<string, unknown>) => ({ name: 'r', pattern }) as unknown as Route;

  it('reports the field under "pattern" and the reason', () => {
    expect(eventPatternCheck(route({ detail: { eventType: [{ prefix: 1 }] } }), 'deploy')).toEqual({
      field: 'pattern.detail.eventType[0].prefix',
      detail: expect.stringContaining('must be a string'),
    });
  });

  it('passes a valid pattern', () => {
    expect(eventPatternCheck(route({ source: ['usage'] }), 'local')).toBeUndefined();
  });
});
