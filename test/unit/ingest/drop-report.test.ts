import {
  type DropResult,
  dropDate,
  excerptOf,
  formatDropReport,
  needsReport,
  reportKeyFor,
  summarizeDrop,
} from '../../../shared/ingest/drop-report';

const result = (overrides: Partial<DropResult> = {}): DropResult => ({
  bucket: 'lake',
  key: 'ingest/11-23-2026/meters.json',
  size: 2048,
  eTag: 'abc123',
  compressed: false,
  format: 'json-array',
  bytesRead: 2048,
  records: 12,
  sent: 10,
  rejected: 2,
  refused: 0,
  rejectionReasons: { MALFORMED_JSON: 1, MISSING_CLIENT_ID: 1 },
  refusalCodes: {},
  bySource: { 'usage-meter': 10 },
  rejections: [
    {
      index: 3,
      line: 5,
      reason: 'MALFORMED_JSON',
      message: 'Record is not valid JSON: Unexpected end',
      excerpt: '{"customerId":',
    },
    {
      index: 10,
      line: 12,
      reason: 'MISSING_CLIENT_ID',
      message: 'Usage meter has no customerId',
      excerpt: '{"meterApiName":"x"}',
    },
  ],
  refusals: [],
  startedAt: '2026-11-23T06:01:43.123Z',
  seconds: 0.25,
  ...overrides,
});

describe('drop report', () => {
  it('dates report keys MM-DD-YYYY in UTC and keeps the original key whole', () => {
    expect(dropDate(new Date('2026-01-05T23:59:59.999Z'))).toBe('01-05-2026');
    expect(dropDate(new Date('2026-12-31T23:30:00-02:00'))).toBe('01-01-2027');
    expect(reportKeyFor('ingest/01-05-2026/a b.json.gz', new Date('2026-01-06T00:00:00Z'), 'failed-requests/')).toBe(
      'failed-requests/01-06-2026/ingest/01-05-2026/a b.json.gz.reason.txt',
    );
  });

  it('keeps report keys within the 1,024 bytes S3 allows, unique per original key', () => {
    const long = `ingest/01-05-2026/${'é'.repeat(500)}`;
    const a = reportKeyFor(`${long}a.json`, new Date('2026-01-06T00:00:00Z'), 'failed-requests/');
    const b = reportKeyFor(`${long}b.json`, new Date('2026-01-06T00:00:00Z'), 'failed-requests/');

    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(1024);
    expect(a).toMatch(/^failed-requests\/01-06-2026\/ingest\/01-05-2026\/é+-[0-9a-f]{16}\.reason\.txt$/);
    expect(a).not.toBe(b);
  });

  it('is needed only when something was rejected, refused or unreadable', () => {
    expect(needsReport(result())).toBe(true);
    expect(needsReport(result({ rejected: 0, rejections: [] }))).toBe(false);
    expect(needsReport(result({ rejected: 0, refused: 1 }))).toBe(true);
    expect(needsReport(result({ rejected: 0, records: 0, fileError: { code: 'EMPTY_FILE', message: 'empty' } }))).toBe(
      true,
    );
  });

  it('lists rejected records with their position, reason, message and an excerpt', () => {
    expect(formatDropReport(result())).toBe(
      [
        'S3 drop report: RECORDS REJECTED',
        '',
        'File        s3://lake/ingest/11-23-2026/meters.json',
        'Size        2048 bytes, ETag abc123',
        'Format      JSON array',
        'Processed   2026-11-23T06:01:43.123Z (0.3 s)',
        '',
        'Totals',
        '  records read         12',
        '  sent to the stream   10  (usage-meter 10)',
        '  rejected              2  (MALFORMED_JSON 1, MISSING_CLIENT_ID 1)',
        '  refused by Kinesis    0',
        '',
        'Only rejected and refused records were not sent; the pipeline validates the sent ones',
        'again and deduplicates them, so dropping a corrected file again (whole or only the',
        'failed records) is safe.',
        '',
        'Rejected records (record numbers and lines are 1-based)',
        '  record #4 (line 5)   MALFORMED_JSON: Record is not valid JSON: Unexpected end',
        '                         {"customerId":',
        '  record #11 (line 12) MISSING_CLIENT_ID: Usage meter has no customerId',
        '                         {"meterApiName":"x"}',
        '',
      ].join('\n'),
    );
  });

  it('says how many rejected records are not listed, and lists refused ones', () => {
    const text = formatDropReport(
      result({
        format: 'ndjson',
        rejected: 5_002,
        refused: 1,
        refusalCodes: { InternalFailure: 1 },
        refusals: [{ index: 7, line: 9, errorCode: 'InternalFailure', errorMessage: 'Internal service failure.' }],
      }),
    );

    expect(text).toContain('S3 drop report: RECORDS REJECTED AND REFUSED');
    expect(text).toContain('Rejected records (line numbers are 1-based)\n  line 5  MALFORMED_JSON');
    expect(text).toContain('  … 5000 more rejected records not listed (the first 2 are)');
    expect(text).toContain(
      'Refused by Kinesis after retries (valid records that were not sent: drop them again)\n  line 9  InternalFailure: Internal service failure.',
    );
  });

  it('explains an unreadable file and what was read before the error', () => {
    const text = formatDropReport(
      result({
        compressed: true,
        size: 100,
        bytesRead: 4_000,
        records: 12,
        fileError: { code: 'TRUNCATED_ARRAY', message: 'The JSON array is not closed.', line: 40 },
      }),
    );

    expect(text).toContain('S3 drop report: FILE UNREADABLE: reading stopped at an error');
    expect(text).toContain('Size        100 bytes (gzip), 4000 bytes uncompressed, ETag abc123');
    expect(text).toContain('Format      JSON array, gzip');
    expect(text).toContain(
      'File error\n  TRUNCATED_ARRAY: The JSON array is not closed.\n  The 12 records before this point were handled as counted above; nothing after it was read.',
    );
    expect(
      formatDropReport(
        result({
          format: undefined,
          records: 0,
          sent: 0,
          rejected: 0,
          rejections: [],
          fileError: { code: 'NOT_JSON', message: 'x' },
        }),
      ),
    ).toMatch(/Format {6}unknown \(not read as records\)[\s\S]*No record could be read from the file\./);
  });

  it('flattens and clips excerpts to one line', () => {
    expect(excerptOf(Buffer.from('{\n  "a": 1,\r\n\t"b": "\u0007x"\n}'))).toBe('{ "a": 1, "b": " x" }');
    expect(excerptOf(Buffer.from(`"${'é'.repeat(300)}"`))).toBe(`"${'é'.repeat(119)}…`);
  });

  it('summarizes without the per-record details', () => {
    const summary = summarizeDrop(result());

    expect(summary).not.toHaveProperty('rejections');
    expect(summary).not.toHaveProperty('refusals');
    expect(summary).toMatchObject({ key: 'ingest/11-23-2026/meters.json', rejected: 2 });
  });
});
