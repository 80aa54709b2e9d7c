import { Readable } from 'node:stream';
import {
  FileFormatError,
  JsonRecordSplitter,
  type SplitRecord,
  splitJsonRecords,
} from '../../../shared/ingest/json-records';

/** Feeds `input` in chunks of `size` bytes (every split point is a chunk boundary at size 1). */
const split = (input: string | Buffer, size = Number.MAX_SAFE_INTEGER, options = {}) => {
  const bytes = Buffer.from(input);
  const splitter = new JsonRecordSplitter(options);
  const records: SplitRecord[] = [];
  let error: FileFormatError | undefined;
  try {
    for (let at = 0; at < bytes.length; at += size) {
      records.push(...splitter.push(bytes.subarray(at, at + size)));
      if (splitter.failure) throw splitter.failure;
    }
    records.push(...splitter.end());
  } catch (caught) {
    if (!(caught instanceof FileFormatError)) throw caught;
    error = caught;
  }
  return { records, error, splitter, texts: records.map((record) => record.data?.toString('utf8')) };
};

const CHUNK_SIZES = [1, 2, 3, 7, 64, Number.MAX_SAFE_INTEGER];

describe('JsonRecordSplitter: JSON arrays', () => {
  const tricky = [
    { customerId: 'a', dimensions: { note: 'brackets ] } [ { inside, a string' } },
    { customerId: 'b', quote: 'she said "hi" and \\ left', nested: [[1, [2, { x: [] }]], {}] },
    { customerId: 'c', endsWithBackslash: 'C:\\', unicode: 'é ✓ 🚀', empty: '' },
    'a string record, with a comma',
    42,
    null,
  ];

  it.each(CHUNK_SIZES)('yields each element byte for byte, whatever the chunking (chunks of %d)', (size) => {
    const input = `[\n  ${tricky.map((value) => JSON.stringify(value, null, size % 2 === 0 ? 2 : undefined)).join(' ,\n  ')}\n]\n`;

    const { records, error, texts, splitter } = split(input, size);

    expect(error).toBeUndefined();
    expect(splitter.format).toBe('json-array');
    expect(texts.map((text) => JSON.parse(text as string))).toEqual(tricky);
    expect(records.map((record) => record.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(records[0]?.line).toBe(2);
  });

  it('keeps every record whole at every possible two-chunk split', () => {
    const input = Buffer.from(JSON.stringify(tricky));
    for (let at = 0; at <= input.length; at++) {
      const splitter = new JsonRecordSplitter();
      const texts = [
        ...splitter.push(input.subarray(0, at)),
        ...splitter.push(input.subarray(at)),
        ...splitter.end(),
      ].map((r) => r.data?.toString('utf8'));
      expect(texts.map((text) => JSON.parse(text as string))).toEqual(tricky);
    }
  });

  it('reports the line each record starts on, 1-based', () => {
    const { records } = split('[\n{"a":1},\n\n{"b":\n2},{"c":3}\n]');

    expect(records.map(({ index, line }) => [index, line])).toEqual([
      [0, 2],
      [1, 4],
      [2, 5],
    ]);
  });

  it('accepts an empty array and a UTF-8 byte-order mark', () => {
    expect(split('  []  ').records).toEqual([]);
    expect(split('  []  ').error).toBeUndefined();
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"a":1}]')]);
    expect(split(withBom, 1).texts).toEqual(['{"a":1}']);
  });

  it('hands out malformed elements as records (their parse fails later), and goes on', () => {
    const { texts, error } = split('[{"a":1}, {"b": }, {"c":3}} , {"d":4}]');

    expect(error).toBeUndefined();
    expect(texts).toEqual(['{"a":1}', '{"b": }', '{"c":3}}', '{"d":4}']);
  });

  it.each(CHUNK_SIZES)('stops at a truncated array with the records before it (chunks of %d)', (size) => {
    const { texts, error } = split('[{"a":1},\n{"b":2},\n{"c":"unterminated', size);

    expect(texts).toEqual(['{"a":1}', '{"b":2}']);
    expect(error).toMatchObject({ code: 'TRUNCATED_ARRAY', line: 3 });
    expect(error?.message).toContain('inside record #3 (starting on line 3)');
  });

  it('reports an array cut after a comma or before any record as truncated', () => {
    expect(split('[{"a":1},').error).toMatchObject({
      code: 'TRUNCATED_ARRAY',
      message: expect.stringContaining('after 1 record,'),
    });
    expect(split('[').error?.code).toBe('TRUNCATED_ARRAY');
  });

  it.each([
    [
      'data after the closing bracket',
      '[{"a":1}]\n[{"b":2}]',
      "Unexpected '[' on line 2 after the array's closing ']'",
    ],
    ['a trailing comma', '[{"a":1},]', "Expected a record after ',' but found ']'"],
    ['an empty element', '[{"a":1},,{"b":2}]', "Expected a record after ',' but found ','"],
    ['a mismatched bracket', '[{"a":[1}]', "Mismatched '}' on line 1 inside record #1 (expected ']')"],
  ])('rejects %s as INVALID_ARRAY, keeping what came before', (_name, input, message) => {
    const { texts, error } = split(input);

    expect(error).toMatchObject({ code: 'INVALID_ARRAY', message: expect.stringContaining(message) });
    expect(texts.length).toBeLessThanOrEqual(1);
  });

  it('bounds nesting depth', () => {
    const deep = `[${'['.repeat(20)}${']'.repeat(20)}]`;

    expect(split(deep, 5, { maxDepth: 10 }).error).toMatchObject({ code: 'TOO_DEEP' });
    expect(split(deep, 5, { maxDepth: 30 }).error).toBeUndefined();
  });

  it('reports an element over the size limit without buffering it, and continues', () => {
    const big = JSON.stringify({ customerId: 'x', pad: 'y'.repeat(50_000) });
    const { records, error } = split(`[{"a":1},${big},{"b":2}]`, 1_000, { maxRecordBytes: 4_096 });

    expect(error).toBeUndefined();
    expect(records.map((record) => record.data?.toString() ?? 'TOO LARGE')).toEqual([
      '{"a":1}',
      'TOO LARGE',
      '{"b":2}',
    ]);
    expect(records[1]).toMatchObject({ index: 1, tooLarge: true, bytes: big.length });
    expect(records[1]?.head?.toString()).toBe(big.slice(0, 200));
  });
});

describe('JsonRecordSplitter: NDJSON', () => {
  it.each(CHUNK_SIZES)(
    'splits lines, skipping blank ones, accepting CRLF and a last line without newline (chunks of %d)',
    (size) => {
      const input = '\n{"a":1}\r\n\r\n   \n{"b":"x\\ny"}\n\t{"c":[1,2]}  \r\n{"d":4}';

      const { records, error, splitter } = split(input, size);

      expect(error).toBeUndefined();
      expect(splitter.format).toBe('ndjson');
      expect(records.map(({ index, line, data }) => [index, line, data?.toString()])).toEqual([
        [0, 2, '{"a":1}'],
        [1, 5, '{"b":"x\\ny"}'],
        [2, 6, '{"c":[1,2]}'],
        [3, 7, '{"d":4}'],
      ]);
    },
  );

  it('hands out malformed and non-object lines as records for the caller to reject', () => {
    expect(split('{"a":1}\nnot json\n[1,2]\n{"b":').texts).toEqual(['{"a":1}', 'not json', '[1,2]', '{"b":']);
  });

  it('bounds a huge single line: reported as too large with its first bytes, the next lines unaffected', () => {
    const huge = `{"customerId":"x","pad":"${'z'.repeat(3 * 1024 * 1024)}"}`;
    const { records } = split(`{"a":1}\n${huge}\n{"b":2}\n`, 65_536, { maxRecordBytes: 1024 * 1024 });

    expect(records.map(({ line, tooLarge, bytes }) => [line, tooLarge ?? false, bytes])).toEqual([
      [1, false, 7],
      [2, true, huge.length],
      [3, false, 7],
    ]);
    expect(records[1]?.data).toBeUndefined();
    expect(records[1]?.head?.length).toBe(200);
  });
});

describe('JsonRecordSplitter: not a records file', () => {
  it.each([
    ['an empty file', '', 'EMPTY_FILE'],
    ['only blanks', ' \r\n\t\n', 'EMPTY_FILE'],
    ['plain text', '\n\nhello, world', 'NOT_JSON'],
    ['CSV', 'customerId,meterApiName\nacme,calls', 'NOT_JSON'],
  ])('%s is a file error', (_name, input, code) => {
    const { records, error } = split(input);

    expect(records).toEqual([]);
    expect(error?.code).toBe(code);
  });

  it('says where the first bad character is and hints at gzip for compressed bytes', () => {
    expect(split('\n\n  <xml/>').error?.message).toContain("the first non-blank character is '<' on line 3");
    expect(split(Buffer.from([0x1f, 0x8b, 0x08, 0x00])).error?.message).toContain('give the key a .gz suffix');
  });
});

describe('splitJsonRecords', () => {
  it('iterates a stream and throws the file error after the good records', async () => {
    const seen: string[] = [];
    const stream = Readable.from([Buffer.from('[{"a":1},{"b"'), Buffer.from(':2},'), Buffer.from('{"c":3} x')]);

    await expect(
      (async () => {
        for await (const record of splitJsonRecords(stream)) seen.push(record.data?.toString() ?? '');
      })(),
    ).rejects.toMatchObject({ code: 'TRUNCATED_ARRAY' });
    expect(seen).toEqual(['{"a":1}', '{"b":2}']);
  });
});
