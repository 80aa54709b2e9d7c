import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEV_JWT_AUDIENCE,
  DEV_JWT_ISSUER,
  DEV_JWT_KEY_PATH,
  loadOrCreateDevKeyPair,
  mintDevToken,
} from '../http-api/dev-jwt';

const USAGE = `Usage: npm run -s token -- --client CLIENT_ID [--ttl SECONDS] [--scope S]… [--key FILE]

Prints a JWT the local HTTP API (npm start -- --keep-running) accepts, like a Cognito ID token
with the claim custom:clientId = CLIENT_ID (issuer ${DEV_JWT_ISSUER}, audience ${DEV_JWT_AUDIENCE}),
signed RS256 with the dev key (created on first use).

  --client ID    the caller's clientId (required)
  --ttl SECONDS  lifetime (default 3600); 0 or negative mints an expired token
  --scope S      add a scope (repeatable)
  --key FILE     signing key (default .local/dev-jwt-key.pem)

  curl -H "Authorization: Bearer $(npm run -s token -- --client acme-corp)" \\
       -H 'content-type: application/json' -d @events.json http://127.0.0.1:PORT/events`;

export const main = (argv: string[]): number => {
  const { values } = parseArgs({
    args: argv,
    options: {
      client: { type: 'string' },
      ttl: { type: 'string' },
      scope: { type: 'string', multiple: true },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.client?.trim()) {
    process.stderr.write(`--client is required\n\n${USAGE}\n`);
    return 2;
  }
  const ttlSeconds = values.ttl === undefined ? 3_600 : Number(values.ttl);
  if (!Number.isInteger(ttlSeconds)) {
    process.stderr.write(`--ttl must be an integer number of seconds, got ${values.ttl}\n`);
    return 2;
  }
  const keys = loadOrCreateDevKeyPair(values.key ? resolve(values.key) : DEV_JWT_KEY_PATH);
  process.stdout.write(`${mintDevToken(keys, { clientId: values.client, ttlSeconds, scopes: values.scope ?? [] })}\n`);
  return 0;
};

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
