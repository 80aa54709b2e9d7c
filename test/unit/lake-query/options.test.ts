import { failureLine, parseQueryArgs, QueryUsageError } from '../../../infra/local/query/options';

const reasonOf = (argv: string[]) => {
  try {
    parseQueryArgs(argv);
  } catch (error) {
    if (error instanceof QueryUsageError) return error.reason;
    throw error;
  }
  return 'parsed';
};

describe('npm run query arguments', () => {
  it('takes one SQL argument, the table format and no lake by default', () => {
    expect(parseQueryArgs(['SELECT 1'])).toEqual({
      help: false,
      format: 'table',
      target: { kind: 'sql', sql: 'SELECT 1' },
      printSql: false,
    });
  });

  it('takes --lake, --json or --csv, and --report', () => {
    expect(parseQueryArgs(['--lake', '/tmp/l', '--json', 'SELECT 1'])).toMatchObject({
      lake: '/tmp/l',
      format: 'json',
    });
    expect(parseQueryArgs(['--csv', '--report', 'usage'])).toMatchObject({
      format: 'csv',
      target: { kind: 'report', report: 'usage' },
    });
    expect(parseQueryArgs(['--report=health', '--print-sql'])).toMatchObject({ printSql: true });
  });

  it('--help wins over everything', () => {
    expect(parseQueryArgs(['--bogus', '--help'])).toEqual({ help: true });
  });

  it.each([
    [['--bogus', 'SELECT 1'], 'UnknownOption'],
    [['--lake'], 'MissingValue'],
    [['--lake', '--json', 'SELECT 1'], 'MissingValue'],
    [['--json=yes', 'SELECT 1'], 'UnexpectedValue'],
    [['--json', '--json', 'SELECT 1'], 'RepeatedOption'],
    [['--json', '--csv', 'SELECT 1'], 'ConflictingOptions'],
    [['--report', 'usage', 'SELECT 1'], 'ConflictingOptions'],
    [['--print-sql', 'SELECT 1'], 'ConflictingOptions'],
    [['SELECT', '*', 'FROM', 'events'], 'UnexpectedArgument'],
    [[], 'NoQuery'],
    [['  '], 'NoQuery'],
    [['--report', 'billing'], 'UnknownReport'],
  ])('%j is refused: %s', (argv, reason) => {
    expect(reasonOf(argv)).toBe(reason);
  });

  it('prints a usage error on one line, exit 2, and anything else as a failure, exit 1', () => {
    expect(failureLine(new QueryUsageError('InvalidQuery', 'Parser Error: syntax error\nat "SELEC"'))).toEqual({
      line: 'npm run query: Parser Error: syntax error at "SELEC"',
      code: 2,
    });
    expect(failureLine(new Error('ECONNREFUSED'))).toEqual({ line: 'npm run query failed: ECONNREFUSED', code: 1 });
  });
});
