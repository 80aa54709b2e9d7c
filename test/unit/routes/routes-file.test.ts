import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeChecks } from '../../../shared/routes/checks';
import { ROUTE_LIMITS } from '../../../shared/routes/limits';
import { loadRoutesFile, parseRoutes, RoutesFileError } from '../../../shared/routes/routes-file';

// routes.yml: the schema both `osls package` and `npm start` check, with the route and field named.
// Limits: EventBridge PutRule (name), CreateApiDestination (InvocationRateLimitPerSecond), PutTargets
// RetryPolicy (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html:
// MaximumRetryAttempts 0–185, MaximumEventAgeInSeconds 60–86400), Firehose HttpEndpoint BufferingHints
// and RetryOptions (https://docs.aws.amazon.com/firehose/latest/APIReference/API_HttpEndpointBufferingHints.html).

const httpRoute = (target: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  name: 'tickets',
  pattern: { detail: { eventType: ['loyaltypurchase'] } },
  target: { type: 'http', url: 'https://api.example.com/tickets', ...target },
  ...extra,
});

const problem = (document: unknown, mode: 'deploy' | 'local' = 'deploy'): RoutesFileError => {
  try {
    parseRoutes(document, 'routes.yml', mode);
  } catch (error) {
    if (error instanceof RoutesFileError) return error;
    throw error;
  }
  throw new Error('expected a RoutesFileError');
};

describe('parseRoutes', () => {
  it('applies the documented defaults: POST, 300/s, 185 attempts, 24 h', () => {
    const [route] = parseRoutes({ routes: [httpRoute()] }, 'routes.yml', 'deploy');

    expect(route?.target).toEqual({
      type: 'http',
      url: 'https://api.example.com/tickets',
      method: 'POST',
      headers: {},
      query: {},
      rateLimitPerSecond: 300,
      retry: { maximumAttempts: 185, maximumEventAgeSeconds: 86_400 },
    });
  });

  it.each([
    [
      'a rate above the quota',
      httpRoute({ rateLimitPerSecond: ROUTE_LIMITS.rateLimitPerSecondMax + 1 }),
      'target.rateLimitPerSecond',
    ],
    ['more than 185 attempts', httpRoute({ retry: { maximumAttempts: 186 } }), 'target.retry.maximumAttempts'],
    [
      'an event age under 60 s',
      httpRoute({ retry: { maximumEventAgeSeconds: 59 } }),
      'target.retry.maximumEventAgeSeconds',
    ],
    ['an unknown auth type', httpRoute({ auth: { type: 'digest', secret: 'x' } }), 'target.auth.type'],
    ['an unknown key', httpRoute({ timeout: 10 }), 'target'],
    ['a method EventBridge does not send', httpRoute({ method: 'TRACE' }), 'target.method'],
  ])('names the route and the field for %s', (_, route, field) => {
    const error = problem({ routes: [route] });

    expect(error.route).toBe('tickets');
    expect(error.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^routes\\.yml: route "tickets": ${field.replaceAll('.', '\\.')}: `));
  });

  it('rejects a name EventBridge would not take', () => {
    expect(problem({ routes: [httpRoute({}, { name: 'no spaces here' })] })).toMatchObject({
      route: 'no spaces here',
      field: 'name',
    });
    expect(problem({ routes: [httpRoute({}, { name: 'x'.repeat(65) })] }).field).toBe('name');
  });

  it('rejects two routes with one name', () => {
    expect(problem({ routes: [httpRoute(), httpRoute()] })).toMatchObject({ route: 'tickets', field: 'name' });
  });

  it('takes http:// only for loopback hosts, and only locally', () => {
    const loopback = { routes: [httpRoute({ url: 'http://127.0.0.1:9000/tickets' })] };

    expect(parseRoutes(loopback, 'routes.yml', 'local')).toHaveLength(1);
    expect(problem(loopback, 'deploy')).toMatchObject({
      field: 'target.url',
      message: expect.stringContaining('works only locally'),
    });
    expect(problem({ routes: [httpRoute({ url: 'http://api.example.com/tickets' })] }, 'local')).toMatchObject({
      field: 'target.url',
      message: expect.stringContaining('must be https://'),
    });
  });

  it('takes localUrl: receiver or a loopback URL', () => {
    expect(
      parseRoutes({ routes: [httpRoute({ localUrl: 'receiver' })] }, 'routes.yml', 'deploy')[0]?.target.localUrl,
    ).toBe('receiver');
    expect(problem({ routes: [httpRoute({ localUrl: 'http://10.0.0.1/x' })] }).field).toBe('target.localUrl');
  });

  it('caps InputPathsMap at 100 variables', () => {
    const pathsMap = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, '$.id']));

    expect(problem({ routes: [httpRoute({}, { input: { pathsMap, template: '<v0>' } })] }).field).toBe(
      'input.pathsMap',
    );
  });

  it('checks a firehose-http target: an access key secret, buffering within Firehose limits', () => {
    const route = (target: Record<string, unknown>) => ({
      name: 'actions',
      pattern: { source: ['product.actions'] },
      target: {
        type: 'firehose-http',
        url: 'https://ingest.example.com/firehose',
        auth: { type: 'apiKey', secret: 'actions/key' },
        ...target,
      },
    });

    expect(parseRoutes({ routes: [route({})] }, 'routes.yml', 'deploy')[0]?.target).toMatchObject({
      buffering: { sizeMiB: 1, intervalSeconds: 60 },
      retryDurationSeconds: 300,
    });
    expect(problem({ routes: [route({ buffering: { sizeMiB: 65 } })] }).field).toBe('target.buffering.sizeMiB');
    expect(problem({ routes: [route({ retryDurationSeconds: 7_201 })] }).field).toBe('target.retryDurationSeconds');
    expect(problem({ routes: [route({ auth: undefined })] }).field).toBe('target.auth');
  });

  it('runs extra checks (pattern, input) and reports their field', () => {
    const error = (() => {
      try {
        parseRoutes({ routes: [httpRoute()] }, 'routes.yml', 'deploy', [
          () => ({ field: 'pattern.detail', detail: 'bad operator' }),
        ]);
      } catch (caught) {
        return caught as RoutesFileError;
      }
      throw new Error('expected an error');
    })();

    expect(error.message).toBe('routes.yml: route "tickets": pattern.detail: bad operator');
  });
});

describe('loadRoutesFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'routes-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads YAML; a missing file is no routes', () => {
    const file = join(dir, 'routes.yml');
    writeFileSync(
      file,
      'routes:\n  - name: tickets\n    pattern: { source: [client.events] }\n    target: { type: http, url: "https://x.example.com/t" }\n',
    );

    expect(loadRoutesFile(file, 'deploy').map((route) => route.name)).toEqual(['tickets']);
    expect(loadRoutesFile(join(dir, 'none.yml'), 'deploy')).toEqual([]);
  });

  it('says where YAML is broken', () => {
    const file = join(dir, 'routes.yml');
    writeFileSync(file, 'routes:\n  - name: [unclosed\n');

    expect(() => loadRoutesFile(file, 'deploy')).toThrow(/routes\.yml: not valid YAML: .* at line \d+, column \d+/);
  });
});

describe('routeChecks (the pattern and the input, as PutRule and PutTargets check them)', () => {
  it('names the route and the pattern field of an operator EventBridge does not have', () => {
    const route = httpRoute({}, { pattern: { detail: { eventType: [{ 'starts-with': 'loyalty' }] } } });
    let caught: RoutesFileError | undefined;
    try {
      parseRoutes({ routes: [route] }, 'routes.yml', 'deploy', routeChecks);
    } catch (error) {
      caught = error as RoutesFileError;
    }

    expect(caught).toBeInstanceOf(RoutesFileError);
    expect(caught?.route).toBe('tickets');
    expect(caught?.field).toMatch(/^pattern\.detail\.eventType/);
  });

  it('names the input field of a template using an undefined variable', () => {
    const route = httpRoute({}, { input: { pathsMap: { id: '$.id' }, template: '{"id": "<id>", "who": "<nobody>"}' } });

    expect(() => parseRoutes({ routes: [route] }, 'routes.yml', 'deploy', routeChecks)).toThrow(
      /route "tickets": input\.template: /,
    );
  });

  it('accepts the shipped routes.yml', () => {
    expect(
      loadRoutesFile(join(__dirname, '..', '..', '..', 'routes.yml'), 'deploy', routeChecks).map((route) => route.name),
    ).toEqual(['loyalty-tickets']);
  });
});
