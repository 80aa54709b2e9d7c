import { createHash } from 'node:crypto';
import { SqsError } from '../../../infra/local/sqs/errors';
import {
  attributeNameProblem,
  isAllowedText,
  md5OfBody,
  md5OfMessageAttributes,
  messageAttributesSize,
  numberProblem,
  parseMessageAttributes,
  selectMessageAttributes,
  toWireAttributes,
} from '../../../infra/local/sqs/message-attributes';

// MD5OfMessageAttributes as "Message metadata for Amazon SQS" specifies it
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html,
// "Calculating the MD5 message digest for message attributes"), and the limits of its
// "Message attribute components" and "Message attribute data types".

const parseError = (input: unknown, kind: 'user' | 'system' = 'user'): SqsError => {
  try {
    parseMessageAttributes(input, kind);
  } catch (error) {
    if (error instanceof SqsError) return error;
    throw error;
  }
  throw new Error('expected an SqsError');
};

const base64 = (text: string | Uint8Array): string => Buffer.from(text).toString('base64');

describe('MD5OfMessageAttributes', () => {
  it('matches the digests SQS returns (pinned by moto and LocalStack against AWS)', () => {
    const number = (value: string) => ({ DataType: 'Number', StringValue: value });
    expect(md5OfMessageAttributes(parseMessageAttributes({ timestamp: number('1493147359900') }))).toBe(
      '235c5c510d26fb653d073faed50ae77c',
    );
    expect(md5OfMessageAttributes(parseMessageAttributes({ timestamp: number('1493147359901') }))).toBe(
      '994258b45346a2cc3f9cbb611aa7af30',
    );
    expect(
      md5OfMessageAttributes(parseMessageAttributes({ 'SOME_Valid.attribute-Name': number('1493147359900') })),
    ).toBe('36655e7e9d7c0e8479fa3f3f42247ae7');
  });

  it('sorts by name and encodes String, Number, Binary and UTF-8 values (moto test_message_with_complex_attributes)', () => {
    // 'öther_encodings' is not a name SendMessage takes (A–Z, a–z, 0–9, _ - .); the digest is computed directly.
    expect(
      md5OfMessageAttributes({
        ccc: { dataType: 'String', stringValue: 'testjunk' },
        aaa: { dataType: 'Binary', binaryValue: Buffer.from([2, 3, 4]) },
        zzz: { dataType: 'Number', stringValue: '0230.01' },
        öther_encodings: { dataType: 'String', stringValue: 'Tüst' },
      }),
    ).toBe('8ae21a7957029ef04146b42aeaa18a22');
  });

  it('handles custom data types with the base type’s transport byte (aws-md5-of-message-attributes vectors)', () => {
    const string = { attribName1: { DataType: 'String', StringValue: 'attribValue 1' } };
    const custom = {
      customNumberTypeAttrib: { DataType: 'Number.float', StringValue: '4563442423554324324264524243.32543234' },
    };
    const binary = { binaryAttribute: { DataType: 'Binary', BinaryValue: base64('Hello binary world!') } };
    expect(md5OfMessageAttributes(parseMessageAttributes(string))).toBe('19e27d4e946b072f3f58da80d94fd778');
    expect(md5OfMessageAttributes(parseMessageAttributes(custom))).toBe('9fe1b90bbd9965bdf77bac517c7d2495');
    expect(md5OfMessageAttributes(parseMessageAttributes(binary))).toBe('31a92b15d92f8db860eda32aceb656c3');
    expect(md5OfMessageAttributes(parseMessageAttributes({ ...binary, ...custom, ...string }))).toBe(
      'c932db14a896c663f83c260297d594ff',
    );
  });

  it('is the MD5 of name, type, transport byte and value, each string with a 4-byte big-endian length', () => {
    const expected = createHash('md5')
      .update(Buffer.from([0, 0, 0, 3]))
      .update('bin')
      .update(Buffer.from([0, 0, 0, 10]))
      .update('Binary.png')
      .update(Buffer.from([2]))
      .update(Buffer.from([0, 0, 0, 2]))
      .update(Buffer.from('hi'))
      .update(Buffer.from([0, 0, 0, 1]))
      .update('s')
      .update(Buffer.from([0, 0, 0, 6]))
      .update('String')
      .update(Buffer.from([1]))
      .update(Buffer.from([0, 0, 0, 3])) // é is 2 bytes in UTF-8
      .update(Buffer.from('é!', 'utf8'))
      .digest('hex');
    const attributes = parseMessageAttributes({
      s: { DataType: 'String', StringValue: 'é!' },
      bin: { DataType: 'Binary.png', BinaryValue: base64('hi') },
    });
    expect(md5OfMessageAttributes(attributes)).toBe(expected);
  });

  it('is absent without attributes; MD5OfBody is the MD5 of the UTF-8 body', () => {
    expect(md5OfMessageAttributes({})).toBeUndefined();
    expect(md5OfBody('derp')).toBe('58fd9edd83341c29f1aebba81c31e257');
    expect(md5OfBody('Héllo!😀')).toBe(createHash('md5').update(Buffer.from('Héllo!😀', 'utf8')).digest('hex'));
  });
});

describe('message attribute checks', () => {
  it('takes String, Number and Binary with custom labels, and counts names, types and values toward the size', () => {
    const attributes = parseMessageAttributes({
      a: { DataType: 'String', StringValue: 'x' },
      'n.b': { DataType: 'Number.int', StringValue: '-12' },
      c: { DataType: 'Binary.gif', BinaryValue: base64(new Uint8Array([0, 255])) },
    });
    expect(attributes.c?.binaryValue).toEqual(Buffer.from([0, 255]));
    expect(messageAttributesSize(attributes)).toBe(1 + 6 + 1 + (3 + 10 + 3) + (1 + 10 + 2));
    expect(toWireAttributes(attributes)).toEqual({
      a: { DataType: 'String', StringValue: 'x' },
      'n.b': { DataType: 'Number.int', StringValue: '-12' },
      c: { DataType: 'Binary.gif', BinaryValue: 'AP8=' },
    });
  });

  it('allows at most 10 attributes', () => {
    const attributes = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]));
    expect(Object.keys(parseMessageAttributes(attributes(10)))).toHaveLength(10);
    const error = parseError(attributes(11));
    expect(error.shape).toBe('InvalidParameterValue');
    expect(error.message).toBe('Number of message attributes [11] exceeds the allowed maximum [10].');
  });

  it.each([
    ['', 'empty'],
    ['a'.repeat(257), 'longer than 256'],
    ['has space', 'a character outside A-Za-z0-9_-.'],
    ['AWS.thing', 'the AWS. prefix'],
    ['amazon.thing', 'the Amazon. prefix, any casing'],
    ['.lead', 'a leading period'],
    ['trail.', 'a trailing period'],
    ['two..dots', 'periods in succession'],
  ])('refuses the name %j (%s)', (name) => {
    expect(attributeNameProblem(name)).toBeDefined();
    expect(parseError({ [name]: { DataType: 'String', StringValue: 'v' } }).shape).toBe('InvalidParameterValue');
  });

  it('accepts 256-character names with letters, digits, _ - and single periods', () => {
    expect(attributeNameProblem('a'.repeat(256))).toBeUndefined();
    expect(attributeNameProblem('Valid_name-1.sub.x')).toBeUndefined();
    expect(attributeNameProblem('AWSx.y')).toBeUndefined();
  });

  it('refuses a data type that is not String, Number or Binary (with an optional label), or longer than 256', () => {
    expect(parseError({ a: { DataType: 'Text', StringValue: 'v' } }).message).toContain(
      'supported type prefixes: Binary, Number, String',
    );
    expect(parseError({ a: { DataType: 'Stringy', StringValue: 'v' } }).shape).toBe('InvalidParameterValue');
    expect(parseError({ a: { DataType: `String.${'x'.repeat(250)}`, StringValue: 'v' } }).shape).toBe(
      'InvalidParameterValue',
    );
    expect(parseError({ a: { StringValue: 'v' } }).message).toContain('non-empty message attribute type');
  });

  it('refuses empty or missing values, and values of the wrong kind', () => {
    expect(parseError({ a: { DataType: 'String', StringValue: '' } }).message).toBe(
      "Message (user) attribute 'a' must contain a non-empty value of message attribute type 'String'.",
    );
    expect(parseError({ a: { DataType: 'Binary' } }).message).toContain("type 'Binary'");
    expect(parseError({ a: { DataType: 'Binary', StringValue: 'v' } }).shape).toBe('InvalidParameterValue');
    expect(parseError({ a: { DataType: 'String', StringValue: 'v', BinaryValue: 'AA==' } }).shape).toBe(
      'InvalidParameterValue',
    );
    expect(parseError({ a: { DataType: 'String', StringValue: 'v', StringListValues: ['x'] } }).message).toContain(
      'not implemented',
    );
  });

  it('refuses String values with characters a message may not contain', () => {
    expect(parseError({ a: { DataType: 'String', StringValue: 'bell\u0007' } }).shape).toBe('InvalidParameterValue');
    expect(parseError({ a: { DataType: 'String', StringValue: 'lone \ud800' } }).shape).toBe('InvalidParameterValue');
  });

  it('checks Number values: up to 38 digits of precision, between 10^-128 and 10^+126', () => {
    expect(numberProblem('230.000000000000000001')).toBeUndefined();
    expect(numberProblem('0230.01')).toBeUndefined();
    expect(numberProblem('-1.5e10')).toBeUndefined();
    expect(numberProblem('0')).toBeUndefined();
    expect(numberProblem('1'.repeat(38))).toBeUndefined();
    expect(numberProblem('1'.repeat(39))).toContain('38 digits');
    expect(numberProblem(`1${'0'.repeat(60)}`)).toBeUndefined(); // trailing zeros are not precision
    expect(numberProblem('1e126')).toBeUndefined();
    expect(numberProblem('1.1e126')).toContain('10^+126');
    expect(numberProblem('1e-128')).toBeUndefined();
    expect(numberProblem('9e-129')).toContain('10^-128');
    expect(numberProblem('12abc')).toBe('not a number');
    expect(parseError({ n: { DataType: 'Number', StringValue: 'twelve' } }).message).toContain(
      "Can't cast the value of message (user) attribute 'n' to a number",
    );
  });

  it('takes only AWSTraceHeader, a String, as a message system attribute', () => {
    expect(
      parseMessageAttributes(
        { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } },
        'system',
      ),
    ).toEqual({
      AWSTraceHeader: { dataType: 'String', stringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' },
    });
    expect(parseError({ Other: { DataType: 'String', StringValue: 'v' } }, 'system').message).toBe(
      "Message system attribute name 'Other' is invalid.",
    );
    expect(parseError({ AWSTraceHeader: { DataType: 'Binary', BinaryValue: 'AA==' } }, 'system').shape).toBe(
      'InvalidParameterValue',
    );
  });
});

describe('the characters a message may contain', () => {
  it('are #x9 #xA #xD, #x20–#xD7FF, #xE000–#xFFFD, #x10000–#x10FFFF', () => {
    expect(isAllowedText('tab\tnewline\ncr\r ~ é 中 \uE000 \uFFFD 😀')).toBe(true);
    expect(isAllowedText('\u0000')).toBe(false);
    expect(isAllowedText('\u001f')).toBe(false);
    expect(isAllowedText('\uFFFE')).toBe(false);
    expect(isAllowedText('\udc00')).toBe(false);
  });
});

describe('ReceiveMessage MessageAttributeNames', () => {
  const attributes = parseMessageAttributes({
    'bar.x': { DataType: 'String', StringValue: '1' },
    'bar.y': { DataType: 'String', StringValue: '2' },
    baz: { DataType: 'String', StringValue: '3' },
  });

  it('selects none, All / .*, a prefix.*, or names', () => {
    expect(selectMessageAttributes(attributes, undefined)).toEqual({});
    expect(selectMessageAttributes(attributes, [])).toEqual({});
    expect(Object.keys(selectMessageAttributes(attributes, ['All']))).toEqual(['bar.x', 'bar.y', 'baz']);
    expect(Object.keys(selectMessageAttributes(attributes, ['.*']))).toEqual(['bar.x', 'bar.y', 'baz']);
    expect(Object.keys(selectMessageAttributes(attributes, ['bar.*']))).toEqual(['bar.x', 'bar.y']);
    expect(Object.keys(selectMessageAttributes(attributes, ['baz', 'missing']))).toEqual(['baz']);
  });
});
