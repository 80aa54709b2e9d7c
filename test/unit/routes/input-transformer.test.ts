import {
  compileInput,
  InputRenderError,
  InputTransformerError,
  inputCheck,
} from '../../../shared/routes/input-transformer';
import type { Route, RouteInput } from '../../../shared/routes/routes-file';

// The example EC2 event of the input transformation page.
const ec2Event = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
};

const context = {
  ruleName: 'example',
  ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
  ingestionTime: '2015-11-11T21:29:55Z',
};

const render = (input: RouteInput | undefined, event: unknown = ec2Event): string =>
  compileInput(input)(event, context);

/** The input's error, for asserting on its code, field and message together. */
const errorOf = (input: unknown): InputTransformerError => {
  try {
    compileInput(input as RouteInput);
  } catch (error) {
    if (error instanceof InputTransformerError) return error;
    throw error;
  }
  throw new Error(`input compiled: ${JSON.stringify(input)}`);
};

describe('no input: the whole event', () => {
  it('sends the event as JSON', () => {
    expect(render(undefined)).toBe(JSON.stringify(ec2Event));
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html (InputPath)
describe('input path', () => {
  it('sends the JSON of the value at the path: an object, or a string with its quotes', () => {
    expect(JSON.parse(render({ path: '$.detail' }))).toEqual(ec2Event.detail);
    expect(render({ path: '$.detail.state' })).toBe('"RUNNING"');
    expect(render({ path: '$' })).toBe(JSON.stringify(ec2Event));
  });

  it('takes array indices, * and bracket notation', () => {
    expect(render({ path: '$.resources[0]' })).toBe('"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"');
    expect(render({ path: "$['detail']['instance-id']" })).toBe('"i-0123456789"');
    expect(JSON.parse(render({ path: '$.detail.*' }))).toEqual(['i-0123456789', 'RUNNING']);
  });

  it('sends nothing when the path matches nothing', () => {
    expect(render({ path: '$.detail.missing' })).toBe('');
    expect(render({ path: '$.resources[5]' })).toBe('');
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html#eb-transform-input-examples
describe('input transformer: the examples of the input transformation page', () => {
  const pathsMap = {
    timestamp: '$.time',
    instance: '$.detail.instance-id',
    state: '$.detail.state',
    resource: '$.resources[0]',
  };

  it.each([
    ['a simple string', '"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'],
    [
      'a string with escaped quotes',
      '"instance \\"<instance>\\" is in <state>"',
      '"instance \\"i-0123456789\\" is in RUNNING"',
    ],
    [
      'simple JSON',
      '{\n  "instance" : <instance>,\n  "state": <state>\n}',
      '{\n  "instance" : "i-0123456789",\n  "state": "RUNNING"\n}',
    ],
    [
      'JSON with strings and variables',
      '{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}',
      '{\n "instance" : "i-0123456789",\n "state": "RUNNING",\n "instanceStatus": "instance \\"i-0123456789\\" is in RUNNING"\n}',
    ],
    ['reserved variables in a string', '"<aws.events.rule-name> triggered"', '"example triggered"'],
  ])('renders %s', (_, template, expected) => {
    expect(render({ pathsMap, template })).toBe(expected);
  });

  it('renders JSON with a mix of variables and static information', () => {
    // Act
    const output = render({
      pathsMap,
      template: '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}',
    });

    // Assess
    expect(JSON.parse(output)).toEqual({ instance: 'i-0123456789', state: [9, 'RUNNING', true], Transformed: 'Yes' });
  });

  it('renders reserved variables in JSON, the original event as JSON', () => {
    // Prepare
    const template =
      '{\n  "instance" : <instance>,\n  "state": <state>,\n  "ruleArn" : <aws.events.rule-arn>,\n  "ruleName" : <aws.events.rule-name>,\n  "originalEvent" : <aws.events.event.json>\n}';

    // Act
    const output = JSON.parse(render({ pathsMap, template }));

    // Assess
    expect(output).toEqual({
      instance: 'i-0123456789',
      state: 'RUNNING',
      ruleArn: context.ruleArn,
      ruleName: 'example',
      originalEvent: ec2Event,
    });
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html
describe('input transformer: the examples of the API reference', () => {
  const pathsMap = { instance: '$.detail.instance', status: '$.detail.status' };
  const event = { ...ec2Event, detail: { instance: 'i-0123456789', status: 'RUNNING' } };

  it('fills a plain-text template as text', () => {
    expect(render({ pathsMap, template: '<instance> is in state <status>' }, event)).toBe(
      'i-0123456789 is in state RUNNING',
    );
    expect(render({ pathsMap, template: '<instance> is in state "<status>"' }, event)).toBe(
      'i-0123456789 is in state "RUNNING"',
    );
  });

  it('fills a JSON template with variables in quotes or out', () => {
    const template = '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}';

    expect(render({ pathsMap, template }, event)).toBe(
      '{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \\"RUNNING\\""}',
    );
  });
});

describe('input transformer: quoting in a JSON template', () => {
  const event = {
    ...ec2Event,
    detail: { note: 'say "hi"\n', count: 3, ok: false, none: null, payload: { id: 'a1', tags: ['x'] } },
  };
  const pathsMap = {
    note: '$.detail.note',
    count: '$.detail.count',
    ok: '$.detail.ok',
    none: '$.detail.none',
    payload: '$.detail.payload',
    missing: '$.detail.missing',
  };
  const fill = (template: string): unknown => JSON.parse(render({ pathsMap, template }, event));

  it('outside quotes, inserts each value as JSON: strings quoted, numbers, booleans, null, objects', () => {
    expect(fill('{"note": <note>, "count": <count>, "ok": <ok>, "none": <none>, "payload": <payload>}')).toEqual(
      event.detail,
    );
  });

  it('inside quotes, inserts the value as text, unescaped ("EventBridge doesn\'t escape values extracted by Input Path")', () => {
    expect(fill('{"text": "<count>|<ok>|<none>"}')).toEqual({ text: '3|false|null' });
    // A string with a quote and a newline, inserted as it is, breaks the JSON: the delivery fails.
    expect(() => fill('{"text": "<note>"}')).toThrow(expect.objectContaining({ code: 'INPUT_NOT_VALID_JSON' }));
  });

  it('renders a path that matches nothing as the empty string, in quotes or out', () => {
    expect(fill('{"out": <missing>, "in": "[<missing>]"}')).toEqual({ out: '', in: '[]' });
  });

  it('fails the delivery when an object is inside quotes: EventBridge inserts it unescaped', () => {
    // Prepare
    const renderer = compileInput({ pathsMap, template: '{"payload": "<payload>"}' });

    // Act
    const act = () => renderer(event, context);

    // Assess
    expect(act).toThrow(InputRenderError);
    expect(act).toThrow(expect.objectContaining({ code: 'INPUT_NOT_VALID_JSON', variable: 'payload' }));
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html#eb-transform-input-issues
describe('input transformer: a text template', () => {
  const event = {
    ...ec2Event,
    detail: { payload: { acc_id: '0a787ecb-4015', sf_id: 'baz' }, list: ['ACTIVE', 'INACTIVE'], valid: true },
  };
  const pathsMap = {
    payload: '$.detail.payload',
    list: '$.detail.list',
    valid: '$.detail.valid',
    missing: '$.detail.missing',
  };

  it('writes objects and arrays as JSON without their quotes, so the string stays valid', () => {
    expect(render({ pathsMap, template: '"Payload of <payload> with <list>"' }, event)).toBe(
      '"Payload of {acc_id:0a787ecb-4015,sf_id:baz} with [ACTIVE,INACTIVE]"',
    );
  });

  it('writes booleans and numbers as their JSON, and nothing for a path that matches nothing', () => {
    expect(render({ pathsMap, template: '"Command is <valid>!<missing>"' }, event)).toBe('"Command is true!"');
  });
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html#eb-transform-input-predefined
describe('input transformer: predefined variables', () => {
  it('fills the rule ARN, the rule name and the ingestion time without a path', () => {
    const template = '"<aws.events.rule-arn> <aws.events.rule-name> <aws.events.event.ingestion-time>"';

    expect(render({ pathsMap: {}, template })).toBe(`"${context.ruleArn} example 2015-11-11T21:29:55Z"`);
  });

  it('fills <aws.events.event> with the event without its detail, and <aws.events.event.json> with all of it', () => {
    // Act
    const output = JSON.parse(
      render({ pathsMap: {}, template: '{"event": <aws.events.event>, "full": <aws.events.event.json>}' }),
    );

    // Assess
    const { detail: _detail, 'detail-type': detailType, ...envelope } = ec2Event;
    expect(output.event).toEqual({ ...envelope, detailType });
    expect(output.full).toEqual(ec2Event);
  });
});

describe('input validation', () => {
  const manyVariables = Object.fromEntries(Array.from({ length: 101 }, (_, index) => [`v${index}`, '$.detail']));

  it.each([
    [
      'a placeholder that is not defined',
      { pathsMap: { a: '$.detail' }, template: '"<a> and <b>"' },
      'input.template',
      /invalid placeholder <b>/,
    ],
    [
      'a predefined name in pathsMap',
      { pathsMap: { 'aws.events.rule-name': '$.detail' }, template: '"x"' },
      'input.pathsMap.aws.events.rule-name',
      /reserved/,
    ],
    [
      'a name starting with AWS.',
      { pathsMap: { 'AWS.custom': '$.detail' }, template: '"x"' },
      'input.pathsMap.AWS.custom',
      /reserved/,
    ],
    [
      'a name with other characters',
      { pathsMap: { 'my var': '$.detail' }, template: '"x"' },
      'input.pathsMap.my var',
      /letters, digits/,
    ],
    [
      'more than 100 variables',
      { pathsMap: manyVariables, template: '"x"' },
      'input.pathsMap',
      /101 variables; EventBridge allows 100/,
    ],
    [
      'a path without $',
      { pathsMap: { a: 'detail.state' }, template: '"<a>"' },
      'input.pathsMap.a',
      /must start with "\$"/,
    ],
    [
      'bracket notation in pathsMap',
      { pathsMap: { a: "$['detail']" }, template: '"<a>"' },
      'input.pathsMap.a',
      /not bracket notation/,
    ],
    [
      'a recursive descent path',
      { pathsMap: { a: '$..state' }, template: '"<a>"' },
      'input.pathsMap.a',
      /not a JSON path EventBridge accepts/,
    ],
    ['a negative index', { path: '$.resources[-1]' }, 'input.path', /not a JSON path EventBridge accepts/],
    ['a path that is too long', { path: `$.${'a'.repeat(256)}` }, 'input.path', /longer than 256/],
    ['an empty template', { pathsMap: {}, template: '' }, 'input.template', /non-empty/],
    [
      'a template that is too long',
      { pathsMap: {}, template: `"${'x'.repeat(8191)}"` },
      'input.template',
      /longer than 8192/,
    ],
    [
      'a JSON template that is not JSON',
      { pathsMap: { a: '$.detail' }, template: '{"a": <a>,}' },
      'input.template',
      /must be valid JSON/,
    ],
    [
      'a placeholder as an object key',
      { pathsMap: { a: '$.detail' }, template: '{<a>: 1}' },
      'input.template',
      /cannot be used as an object key/,
    ],
    [
      'a quoted placeholder as an object key',
      { pathsMap: { a: '$.detail' }, template: '{"<a>": 1}' },
      'input.template',
      /cannot be used as an object key/,
    ],
    [
      '<aws.events.event> inside quotes',
      { pathsMap: {}, template: '{"e": "<aws.events.event>"}' },
      'input.template',
      /only be used as the value of a JSON field/,
    ],
    [
      '<aws.events.event.json> in a text template',
      { pathsMap: {}, template: '"<aws.events.event.json>"' },
      'input.template',
      /only be used as the value of a JSON field/,
    ],
    ['both a path and a template', { path: '$.detail', pathsMap: {}, template: '"x"' }, 'input', /only one of/],
  ])('rejects %s', (_, input, field, message) => {
    // Act
    const error = errorOf(input);

    // Assess
    expect(error).toMatchObject({ name: 'InputTransformerError', code: 'INVALID_INPUT', field });
    expect(error.message).toMatch(message);
  });
});

describe('inputCheck', () => {
  const route = (input: unknown) => ({ name: 'r', pattern: { source: ['x'] }, input }) as unknown as Route;

  it('reports the input field and the reason', () => {
    expect(inputCheck(route({ pathsMap: {}, template: '"<nope>"' }), 'deploy')).toEqual({
      field: 'input.template',
      detail: expect.stringContaining('invalid placeholder <nope>'),
    });
  });

  it('passes a route with valid input or none', () => {
    expect(inputCheck(route({ path: '$.detail' }), 'local')).toBeUndefined();
    expect(inputCheck(route(undefined), 'local')).toBeUndefined();
  });
});
