import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEV_JWT_AUDIENCE,
  DEV_JWT_KEY_PATH,
  DevJwtError,
  loadOrCreateDevKeyPair,
  mintDevToken,
} from '../http-api/dev-jwt';

const USAGE = `Usage: npm run -s token -- --client CLIENT_ID [--ttl SECONDS] [--scope S]… [--key FILE] [--issuer URL]

Prints a JWT the local HTTP API (npm start -- --keep-running) accepts, like a Cognito ID token
with the claim custom:clientId = CLIENT_ID (audience ${DEV_JWT_AUDIENCE}), signed RS256 with the
dev key (created on first use). Its issuer is the running local API's URL, which serves the key
at <issuer>/.well-known/jwks.json; the API publishes it beside the key file when it starts.

  --client ID    the caller's clientId (required)
  --ttl SECONDS  lifetime (default 3600); 0 or negative (--ttl -5) mints a token that has expired
  --scope S      add a scope (repeatable)
  --key FILE     signing key (default .local/dev-jwt-key.pem)
  --issuer URL   iss claim (default: the URL the running local API published for the key)

  curl -H "Authorization: Bearer $(npm run -s token -- --client acme-corp)" \\
       -H 'content-type: application/json' --data-binary @examples/events.json http://127.0.0.1:PORT/events`;

export type TokenUsageReason = 'BadOption' | 'MissingClient' | 'InvalidTtl' | 'InvalidIssuer';

/** Options or values the command cannot take: one line on stderr, exit 2. */
export class TokenUsageError extends Error {
  override readonly name = 'TokenUsageError';
  constructor(
    readonly reason: TokenUsageReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type TokenCommand =
  | { help: true }
  | { help: false; clientId: string; ttlSeconds: number; scopes: string[]; keyPath: string; issuer?: string };

const OPTIONS = {
  client: { type: 'string' },
  ttl: { type: 'string' },
  scope: { type: 'string', multiple: true },
  key: { type: 'string' },
  issuer: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const VALUE_OPTIONS = new Set(
  Object.entries(OPTIONS).flatMap(([name, option]) => (option.type === 'string' ? [`--${name}`] : [])),
);

/**
 * parseArgs refuses `--ttl -5` (a value starting with a dash is "ambiguous"):
 * https://nodejs.org/docs/latest-v20.x/api/util.html#utilparseargsconfig. A negative number after
 * an option that takes a value is that value, so it is joined as `--ttl=-5`, which parseArgs takes.
 */
const joinNegativeValues = (argv: readonly string[]): string[] => {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    const next = argv[index + 1];
    if (VALUE_OPTIONS.has(arg) && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      index += 1;
    } else joined.push(arg);
  }
  return joined;
};

/** parseArgs' errors, which run over several lines and suggest `--`, as one line of ours. */
const usageError = (error: unknown): TokenUsageError => {
  const { code, message } = error as { code?: string; message?: string };
  const quoted = /'([^']*)'/.exec(message ?? '')?.[1] ?? '';
  const what =
    code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
      ? `unknown option ${quoted}`
      : code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
        ? `unexpected argument ${quoted}`
        : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
          ? `${quoted.replace(/ <value>$/, '')} needs a value`
          : (message ?? String(error)).split('\n')[0];
  return new TokenUsageError('BadOption', `${what} (see --help)`, { cause: error });
};

/** The command line as what to mint; throws TokenUsageError for anything it cannot take. */
export const parseTokenArgs = (argv: readonly string[]): TokenCommand => {
  let values: { client?: string; ttl?: string; scope?: string[]; key?: string; issuer?: string; help: boolean };
  try {
    ({ values } = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, strict: true }));
  } catch (error) {
    throw usageError(error);
  }
  if (values.help) return { help: true };
  const clientId = values.client?.trim();
  if (!clientId) throw new TokenUsageError('MissingClient', '--client is required (see --help)');
  const ttlSeconds = values.ttl === undefined ? 3_600 : Number(values.ttl);
  if (values.ttl !== undefined && (!/^[+-]?\d+$/.test(values.ttl.trim()) || !Number.isSafeInteger(ttlSeconds))) {
    throw new TokenUsageError('InvalidTtl', `--ttl must be a whole number of seconds, got "${values.ttl}"`);
  }
  if (values.issuer !== undefined && !/^https?:$/.test(URL.parse(values.issuer)?.protocol ?? '')) {
    throw new TokenUsageError('InvalidIssuer', `--issuer must be an http(s) URL, got "${values.issuer}"`);
  }
  return {
    help: false,
    clientId,
    ttlSeconds,
    scopes: values.scope ?? [],
    keyPath: values.key ? resolve(values.key) : DEV_JWT_KEY_PATH,
    ...(values.issuer !== undefined && { issuer: values.issuer }),
  };
};

export const main = async (argv: readonly string[]): Promise<number> => {
  const command = parseTokenArgs(argv);
  if (command.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const keys = loadOrCreateDevKeyPair(command.keyPath);
  const token = await mintDevToken(keys, {
    clientId: command.clientId,
    ttlSeconds: command.ttlSeconds,
    scopes: command.scopes,
    ...(command.issuer !== undefined && { issuer: command.issuer }),
  });
  process.stdout.write(`${token}\n`);
  return 0;
};

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`npm run token: ${error instanceof Error ? error.message : String(error)}\n`);
      // Bad options and values are the caller's to fix (2); anything else failed the run (1).
      process.exitCode = error instanceof TokenUsageError || error instanceof DevJwtError ? 2 : 1;
    },
  );
}
