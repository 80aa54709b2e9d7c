import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readInputFile } from '../../../infra/local/cli/input-file';
import {
  checkReadableFile,
  checkStartFiles,
  failureLine,
  parseStartArgs,
  StartUsageError,
} from '../../../infra/local/cli/start-options';
import { RoutesFileError } from '../../../shared/routes/routes-file';

const usageError = (argv: string[]): StartUsageError => {
  try {
    parseStartArgs(argv);
  } catch (error) {
    if (error instanceof StartUsageError) return error;
    throw error;
  }
  throw new Error(`parseStartArgs accepted ${argv.join(' ')}`);
};

const rejection = async (work: Promise<unknown>): Promise<StartUsageError> => {
  try {
    await work;
  } catch (error) {
    if (error instanceof StartUsageError) return error;
    throw error;
  }
  throw new Error('resolved');
};

describe('npm start options', () => {
  it('defaults to the built-in workload, nothing else switched on', () => {
    expect(parseStartArgs([])).toEqual({ help: false, drop: [], json: false, keepRunning: false, verbose: false });
  });

  it('takes every option, --drop repeated, values inline or after the option', () => {
    expect(
      parseStartArgs([
        '--events=200',
        '--drop',
        'a.json',
        '--drop=b.ndjson.gz',
        '--json',
        '--out',
        'lake',
        '--keep-running',
        '--routes',
        'r.yml',
        '--verbose',
      ]),
    ).toEqual({
      help: false,
      events: 200,
      drop: ['a.json', 'b.ndjson.gz'],
      json: true,
      out: 'lake',
      keepRunning: true,
      routes: 'r.yml',
      verbose: true,
    });
    expect(parseStartArgs(['--input', 'in.ndjson'])).toMatchObject({ input: 'in.ndjson' });
  });

  it('shows the help for -h or --help, whatever else is on the line', () => {
    expect(parseStartArgs(['-h'])).toEqual({ help: true });
    expect(parseStartArgs(['--no-such', '--help'])).toEqual({ help: true });
  });

  it.each([
    [['--no-such-flag'], 'UnknownOption', 'unknown option --no-such-flag (npm start -- --help lists the options)'],
    [['-x'], 'UnknownOption', 'unknown option -x (npm start -- --help lists the options)'],
    [['events'], 'UnexpectedArgument', "unexpected argument 'events' (npm start -- --help lists the options)"],
    [['--', 'more'], 'UnexpectedArgument', "unexpected argument 'more' (npm start -- --help lists the options)"],
    [['--events'], 'MissingValue', '--events needs a value (npm start -- --help lists the options)'],
    [['--input', '--json'], 'MissingValue', '--input needs a value (npm start -- --help lists the options)'],
    [['--drop', 'a', '--drop'], 'MissingValue', '--drop needs a value (npm start -- --help lists the options)'],
    [['--json=yes'], 'UnexpectedValue', "--json takes no value, got 'yes'"],
    [['--out', 'a', '--out', 'b'], 'RepeatedOption', '--out is given twice: give it once'],
    [['--events', 'abc'], 'InvalidEvents', "--events must be a whole number of at least 1, got 'abc'"],
    [['--events', '0'], 'InvalidEvents', "--events must be a whole number of at least 1, got '0'"],
    [['--events=-5'], 'InvalidEvents', "--events must be a whole number of at least 1, got '-5'"],
    [['--events', '2.5'], 'InvalidEvents', "--events must be a whole number of at least 1, got '2.5'"],
    [['--events='], 'InvalidEvents', "--events must be a whole number of at least 1, got ''"],
    [
      ['--input', 'a.ndjson', '--events', '10'],
      'ConflictingOptions',
      '--input and --events both choose what is sent: give one (the built-in workload is --events)',
    ],
  ])('refuses %j: %s', (argv, reason, message) => {
    // Act
    const error = usageError(argv);

    // Assess
    expect(error).toMatchObject({ name: 'StartUsageError', reason, message });
  });
});

describe('npm start files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'start-options-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a readable file, and a .gz that starts with the gzip magic bytes', async () => {
    // Prepare
    const plain = join(dir, 'ok.ndjson');
    const gz = join(dir, 'ok.ndjson.gz');
    await writeFile(plain, '{}\n');
    await writeFile(gz, gzipSync('{}\n'));

    // Act / Assess
    await expect(checkReadableFile('--input', plain)).resolves.toBeUndefined();
    await expect(checkReadableFile('--input', gz, true)).resolves.toBeUndefined();
  });

  it('names the option, the file and what is wrong: missing, a directory, not gzip', async () => {
    // Prepare
    const notGzip = join(dir, 'plain.ndjson.gz');
    const empty = join(dir, 'empty.gz');
    await writeFile(notGzip, '{"id":"a"}\n');
    await writeFile(empty, '');
    const missing = join(dir, 'missing.ndjson.gz');

    // Act
    const errors = await Promise.all([
      rejection(checkReadableFile('--input', missing, true)),
      rejection(checkReadableFile('--routes', dir)),
      rejection(checkReadableFile('--input', notGzip, true)),
      rejection(checkReadableFile('--input', empty, true)),
    ]);

    // Assess
    expect(errors.map(({ reason, message }) => ({ reason, message }))).toEqual([
      { reason: 'UnreadableFile', message: `--input ${missing}: no such file` },
      { reason: 'UnreadableFile', message: `--routes ${dir}: is a directory, not a file` },
      {
        reason: 'NotGzip',
        message: `--input ${notGzip}: named .gz but not gzip (it does not start with the gzip bytes 1f 8b)`,
      },
      {
        reason: 'NotGzip',
        message: `--input ${empty}: named .gz but not gzip (it does not start with the gzip bytes 1f 8b)`,
      },
    ]);
    expect(errors[0]?.cause).toMatchObject({ code: 'ENOENT' });
  });

  it('checks --input, --routes and every --drop before anything starts; a drop named .gz is not opened as gzip', async () => {
    // Prepare: the s3Drop handler reports a drop that is not gzip (BAD_GZIP), so the CLI lets it through.
    const drop = join(dir, 'vendor.json.gz');
    await writeFile(drop, '[]');
    const missingDrop = join(dir, 'nope.json');

    // Act
    const error = await rejection(
      checkStartFiles({ drop: [drop, missingDrop], json: false, keepRunning: false, verbose: false }),
    );

    // Assess
    expect(error.message).toBe(`--drop ${missingDrop}: no such file`);
  });

  it('fails on gzip data that breaks off mid-file, naming the file and how far it got', async () => {
    // Prepare: a valid gzip header, the stream cut short.
    const truncated = join(dir, 'truncated.ndjson.gz');
    const whole = gzipSync(Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ id: `e-${i}` })).join('\n'));
    await writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 2)));

    // Act
    await checkReadableFile('--input', truncated, true);
    const error = await rejection(readInputFile(truncated));

    // Assess
    expect(error.reason).toBe('NotGzip');
    expect(error.message).toMatch(
      new RegExp(
        `^--input ${truncated.replace(/[.]/g, '\\.')}: corrupt gzip data after \\d+ lines read \\(unexpected end of file\\)$`,
      ),
    );
    expect(error.cause).toMatchObject({ code: 'Z_BUF_ERROR' });
  });
});

describe('npm start failure lines', () => {
  it('is `npm start: …` and exit 2 for what the user must fix, `npm start failed: …` and 1 otherwise, on one line', () => {
    expect(
      failureLine(new StartUsageError('InvalidEvents', "--events must be a whole number of at least 1, got 'x'")),
    ).toEqual({ line: "npm start: --events must be a whole number of at least 1, got 'x'", code: 2 });
    expect(
      failureLine(new RoutesFileError('/r/routes.yml', 'too-fast', 'target.rateLimitPerSecond', 'too big')),
    ).toEqual({
      line: 'npm start: /r/routes.yml: route "too-fast": target.rateLimitPerSecond: too big',
      code: 2,
    });
    expect(failureLine(new Error('kinesalite did not start\nwithin 15000 ms'))).toEqual({
      line: 'npm start failed: kinesalite did not start within 15000 ms',
      code: 1,
    });
  });
});
