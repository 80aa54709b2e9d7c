import { resolve } from 'node:path';
import { parseTokenArgs, TokenUsageError } from '../../../infra/local/cli/mint-token';
import { DEV_JWT_KEY_PATH } from '../../../infra/local/http-api/dev-jwt';

const usageError = (argv: string[]): TokenUsageError => {
  try {
    parseTokenArgs(argv);
  } catch (error) {
    if (error instanceof TokenUsageError) return error;
    throw error;
  }
  throw new Error(`parseTokenArgs accepted ${argv.join(' ')}`);
};

describe('npm run token options', () => {
  it('defaults to an hour, no scopes, the dev key and the published issuer', () => {
    expect(parseTokenArgs(['--client', 'acme-corp'])).toEqual({
      help: false,
      clientId: 'acme-corp',
      ttlSeconds: 3_600,
      scopes: [],
      keyPath: DEV_JWT_KEY_PATH,
    });
  });

  it('takes every option, scopes repeated, the key path resolved', () => {
    expect(
      parseTokenArgs([
        '--client=globex',
        '--ttl',
        '60',
        '--scope',
        'events/write',
        '--scope',
        'meters/write',
        '--key',
        'keys/k.pem',
        '--issuer',
        'http://127.0.0.1:4010',
      ]),
    ).toEqual({
      help: false,
      clientId: 'globex',
      ttlSeconds: 60,
      scopes: ['events/write', 'meters/write'],
      keyPath: resolve('keys/k.pem'),
      issuer: 'http://127.0.0.1:4010',
    });
  });

  // Node's parseArgs alone refuses `--ttl -5` as ambiguous:
  // https://nodejs.org/docs/latest-v20.x/api/util.html#utilparseargsconfig
  it.each([[['--ttl', '-5']], [['--ttl=-5']]])('takes a negative ttl (a token that expired 5 s ago) as %j', (ttl) => {
    expect(parseTokenArgs(['--client', 'a', ...ttl])).toMatchObject({ ttlSeconds: -5 });
  });

  it('takes --help alone', () => {
    expect(parseTokenArgs(['--help'])).toEqual({ help: true });
    expect(parseTokenArgs(['-h'])).toEqual({ help: true });
  });

  it.each([
    [['--client', 'a', '--bogus'], 'BadOption', 'unknown option --bogus (see --help)'],
    [['--client', 'a', '-x'], 'BadOption', 'unknown option -x (see --help)'],
    [['--client', 'a', 'extra'], 'BadOption', 'unexpected argument extra (see --help)'],
    [['--client'], 'BadOption', '--client needs a value (see --help)'],
    [['--client', '--ttl', '5'], 'BadOption', '--client needs a value (see --help)'],
    [[], 'MissingClient', '--client is required (see --help)'],
    [['--client', '  '], 'MissingClient', '--client is required (see --help)'],
    [['--client', 'a', '--ttl', 'soon'], 'InvalidTtl', '--ttl must be a whole number of seconds, got "soon"'],
    [['--client', 'a', '--ttl', '1.5'], 'InvalidTtl', '--ttl must be a whole number of seconds, got "1.5"'],
    [['--client', 'a', '--ttl='], 'InvalidTtl', '--ttl must be a whole number of seconds, got ""'],
    [
      ['--client', 'a', '--ttl', '99999999999999999999'],
      'InvalidTtl',
      '--ttl must be a whole number of seconds, got "99999999999999999999"',
    ],
    [['--client', 'a', '--issuer', 'localhost'], 'InvalidIssuer', '--issuer must be an http(s) URL, got "localhost"'],
    [
      ['--client', 'a', '--issuer', 'localhost:4010'],
      'InvalidIssuer',
      '--issuer must be an http(s) URL, got "localhost:4010"',
    ],
  ])('refuses %j in one line: %s', (argv, reason, message) => {
    const error = usageError(argv);

    expect({ name: error.name, reason: error.reason, message: error.message }).toEqual({
      name: 'TokenUsageError',
      reason,
      message,
    });
    expect(error.message).not.toContain('\n');
  });
});
