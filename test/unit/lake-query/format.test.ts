import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLakeEngine } from '../../../infra/local/query/engine';
import { formatCsv, formatJson, formatTable, MAX_CELL_WIDTH, rowObjects } from '../../../infra/local/query/format';
import { openLakeDir } from '../../../infra/local/query/lake-dir';

const result = {
  columns: ['client', 'route', 'calls'],
  rows: [
    ['acme-corp', 'GET /v1/reports', 1200],
    ['globex', null, 7],
  ],
};

describe('query output', () => {
  it('aligns a table: text left, numbers right, a rule under the header and the row count', () => {
    expect(formatTable(result).split('\n')).toEqual([
      'client     route            calls',
      '---------  ---------------  -----',
      'acme-corp  GET /v1/reports   1200',
      'globex     NULL                 7',
      '(2 rows)',
    ]);
  });

  it('indents a table and leaves out the count when asked (the summary of npm start)', () => {
    const lines = formatTable(result, { indent: '    ', count: false }).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => line.startsWith('    '))).toBe(true);
  });

  it('cuts long cells and shows line breaks as \\n in a table', () => {
    const table = formatTable({ columns: ['detail'], rows: [['x'.repeat(100)], ['a\nb']] });
    const [, , long, broken] = table.split('\n');
    expect(long).toBe(`${'x'.repeat(MAX_CELL_WIDTH - 1)}…`);
    expect(broken?.trimEnd()).toBe('a\\nb');
  });

  it('prints a JSON array of row objects, one per line, and [] for no rows', () => {
    expect(JSON.parse(formatJson(result))).toEqual([
      { client: 'acme-corp', route: 'GET /v1/reports', calls: 1200 },
      { client: 'globex', route: null, calls: 7 },
    ]);
    expect(formatJson(result).split('\n')).toHaveLength(4);
    expect(formatJson({ columns: ['a'], rows: [] })).toBe('[]');
  });

  it('keeps both values of a repeated column name in row objects', () => {
    expect(rowObjects({ columns: ['n', 'n'], rows: [[1, 2]] })).toEqual([{ n: 1, n_2: 2 }]);
  });

  // RFC 4180 §2 (https://www.rfc-editor.org/rfc/rfc4180#section-2): fields with commas, quotes or
  // line breaks are enclosed in double quotes, and a quote inside is doubled.
  it('quotes CSV fields as RFC 4180 says; NULL is an empty field', () => {
    expect(
      formatCsv({
        columns: ['a', 'b'],
        rows: [
          ['x,y', 'say "hi"'],
          [null, 'two\nlines'],
        ],
      }),
    ).toBe('a,b\n"x,y","say ""hi"""\n,"two\nlines"');
  });
});

describe('values from the engine', () => {
  it('prints timestamps as Athena prints a timestamp(3): milliseconds always, microseconds when there are any', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-values-'));
    const engine = await LocalLakeEngine.open(await openLakeDir(dir));
    try {
      const { rows } = await engine.query(
        "SELECT TIMESTAMP '2026-01-15 10:29:18.12', TIMESTAMP '2026-01-15 10:29:18.123456', TIMESTAMP '1969-12-31 23:59:59.9985', 9007199254740993::BIGINT, 42::BIGINT, 'infinity'::TIMESTAMP",
      );
      expect(rows).toEqual([
        [
          '2026-01-15 10:29:18.120',
          '2026-01-15 10:29:18.123456',
          '1969-12-31 23:59:59.998500',
          '9007199254740993',
          42,
          'infinity',
        ],
      ]);
    } finally {
      engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
