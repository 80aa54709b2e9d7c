import {
  type EntryResult,
  isFailure,
  putEventsEntrySize,
  validatePutEvents,
} from '../../../infra/local/eventbridge/api';

// PutEvents as the local EventBridge validates it, per AWS's documentation:
// - API reference, PutEvents (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html):
//   Entries is required, 1 to 10 items; each PutEventsResultEntry has an EventId or an ErrorCode
//   and ErrorMessage; PutEventsRequestEntry's Source, DetailType and Detail ("a valid JSON object")
//   are required for an event to be accepted; EventBusName is a name or ARN, default bus when absent.
// - "Calculating Amazon EventBridge PutEvents event entry size"
//   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html): "The total
//   entry size must be less than 256KB"; Time counts 14 bytes, Source, DetailType, Detail and each
//   Resources entry their UTF-8 bytes.

const BUS = { busName: 'usage-pipeline-test-routing', region: 'us-east-1', accountId: '000000000000' };

const entry = (overrides: Record<string, unknown> = {}) => ({
  EventBusName: BUS.busName,
  Source: 'usage-pipeline.routing',
  DetailType: 'CanonicalEvent',
  Detail: '{"id":"evt-1"}',
  ...overrides,
});

/** The request's error, for asserting on its type and message together. */
const requestError = (input: Record<string, unknown>): { type: string; message: string } | undefined => {
  try {
    validatePutEvents(input, BUS);
    return undefined;
  } catch (error) {
    const { type, message } = error as { type: string; message: string };
    return { type, message };
  }
};

const failureOf = (result: EntryResult | undefined) => (result && isFailure(result) ? result : undefined);

describe('PutEvents validation', () => {
  it('refuses a call without entries, with none, or with more than 10', () => {
    // Prepare
    const eleven = Array.from({ length: 11 }, () => entry());

    // Act
    const missing = requestError({});
    const empty = requestError({ Entries: [] });
    const tooMany = requestError({ Entries: eleven });

    // Assess
    expect(missing).toEqual({
      type: 'ValidationException',
      message: expect.stringContaining("Value null at 'entries'"),
    });
    expect(empty).toEqual({
      type: 'ValidationException',
      message: expect.stringContaining('length greater than or equal to 1'),
    });
    expect(tooMany).toEqual({
      type: 'ValidationException',
      message: expect.stringContaining('length less than or equal to 10'),
    });
    expect(requestError({ Entries: Array.from({ length: 10 }, () => entry()) })).toBeUndefined();
  });

  it('counts entry size as AWS does: Time 14 bytes, Source, DetailType, Detail and Resources as UTF-8', () => {
    // Prepare: "é" is 2 bytes in UTF-8; the EventBusName does not count.
    const sized = entry({
      Source: 'é',
      DetailType: 'ab',
      Detail: '{"a":"é"}',
      Resources: ['r1', 'é'],
      Time: 1_700_000_000,
      EventBusName: 'x'.repeat(100),
    });

    // Act
    const size = putEventsEntrySize(sized);

    // Assess
    expect(size).toBe(14 + 2 + 2 + 10 + 2 + 2);
    expect(putEventsEntrySize(entry({ Time: undefined }))).toBe(
      Buffer.byteLength('usage-pipeline.routingCanonicalEvent{"id":"evt-1"}'),
    );
  });

  it('takes entries totalling exactly 256 KB and refuses one byte more', () => {
    // Prepare: two entries whose sizes add up to 262,144 bytes, then 262,145.
    const fixed = Buffer.byteLength('usage-pipeline.routingCanonicalEvent{"p":""}');
    const padded = (bytes: number) => entry({ Detail: `{"p":"${'x'.repeat(bytes - fixed)}"}` });
    const half = 256 * 1024 * 0.5;

    // Act
    const atLimit = requestError({ Entries: [padded(half), padded(half)] });
    const overLimit = requestError({ Entries: [padded(half), padded(half + 1)] });

    // Assess
    expect(atLimit).toBeUndefined();
    expect(overLimit).toEqual({
      type: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
  });

  it('reports a missing Source, DetailType or Detail per entry and accepts the others', () => {
    // Prepare
    const entries = [entry({ Source: undefined }), entry({ DetailType: '' }), entry({ Detail: undefined }), entry()];

    // Act
    const results = validatePutEvents({ Entries: entries }, BUS);

    // Assess
    expect(results.map(failureOf)).toEqual([
      {
        errorCode: 'InvalidArgument',
        errorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
      {
        errorCode: 'InvalidArgument',
        errorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
      {
        errorCode: 'InvalidArgument',
        errorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      },
      undefined,
    ]);
  });

  it('requires Detail to be a JSON object', () => {
    // Prepare
    const details = ['not json', '[1,2]', '"text"', '42', 'null', '{"ok":true}'];

    // Act
    const results = validatePutEvents({ Entries: details.map((Detail) => entry({ Detail })) }, BUS);

    // Assess
    expect(results.map((result) => failureOf(result)?.errorCode)).toEqual([
      'MalformedDetail',
      'MalformedDetail',
      'MalformedDetail',
      'MalformedDetail',
      'MalformedDetail',
      undefined,
    ]);
  });

  it('refuses an entry for a bus that does not exist, and takes the bus by name, by ARN or the default bus', () => {
    // Prepare
    const arn = `arn:aws:events:us-east-1:000000000000:event-bus/${BUS.busName}`;
    const otherAccount = `arn:aws:events:us-east-1:111122223333:event-bus/${BUS.busName}`;

    // Act
    const results = validatePutEvents(
      {
        Entries: [
          entry({ EventBusName: 'no-such-bus' }),
          entry({ EventBusName: arn }),
          entry({ EventBusName: undefined }),
          entry({ EventBusName: otherAccount }),
        ],
      },
      BUS,
    );

    // Assess
    expect(failureOf(results[0])).toEqual({
      errorCode: 'ResourceNotFoundException',
      errorMessage: 'Event bus no-such-bus does not exist.',
    });
    expect(results[1]).toMatchObject({ bus: BUS.busName });
    expect(results[2]).toMatchObject({ bus: 'default' });
    expect(failureOf(results[3])?.errorCode).toBe('ResourceNotFoundException');
  });

  it('refuses sources reserved for AWS and an EventBusName that is not a name or ARN', () => {
    // Prepare
    const awsSource = entry({ Source: 'aws.ec2' });

    // Act
    const [result] = validatePutEvents({ Entries: [awsSource] }, BUS);
    const badName = requestError({ Entries: [entry({ EventBusName: 'has spaces' })] });

    // Assess
    expect(failureOf(result)).toEqual({
      errorCode: 'NotAuthorizedForSourceException',
      errorMessage: 'Not authorized for the source.',
    });
    expect(badName?.type).toBe('ValidationException');
  });

  it('keeps what the event is built from: the parsed Detail, Resources and Time (epoch seconds)', () => {
    // Prepare
    const timed = entry({ Detail: '{"id":"evt-9","n":[1]}', Resources: ['arn:aws:s3:::lake'], Time: 1_773_500_966 });

    // Act
    const [result] = validatePutEvents({ Entries: [timed] }, BUS);

    // Assess
    expect(result).toEqual({
      bus: BUS.busName,
      entry: {
        source: 'usage-pipeline.routing',
        detailType: 'CanonicalEvent',
        detail: { id: 'evt-9', n: [1] },
        resources: ['arn:aws:s3:::lake'],
        timeMs: 1_773_500_966_000,
      },
    });
  });
});
