import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// `osls print/package/deploy` compile routes.yml through serverless.yml's file variable
// (infra/routes.cjs): an invalid file fails them with the route and the field named, and
// --param="routesFile=FILE" picks another file.

const ROOT = join(__dirname, '..', '..', '..');
const OSLS = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');

it('fails osls with the route and the field of an invalid routes file', async () => {
  // Prepare
  const dir = mkdtempSync(join(tmpdir(), 'osls-routes-'));
  const file = join(dir, 'routes.yml');
  writeFileSync(
    file,
    'routes:\n  - name: loopback\n    pattern: { source: [client.events] }\n    target: { type: http, url: "http://127.0.0.1:9000/x" }\n',
  );

  // Act
  const failure = await promisify(execFile)(
    process.execPath,
    [OSLS, 'print', '--stage', 'dev', `--param=routesFile=${file}`],
    {
      cwd: ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    },
  ).catch((error: { code: number; stdout: string; stderr: string }) => error);
  rmSync(dir, { recursive: true, force: true });

  // Assess: a deployed route needs https; the message names the route and the field.
  expect(failure).toMatchObject({ code: expect.any(Number) });
  const output = `${(failure as { stdout: string }).stdout}${(failure as { stderr: string }).stderr}`;
  expect(output).toContain(
    'route "loopback": target.url: http:// (a loopback host) works only locally; deployed routes need https://',
  );
}, 60_000);
