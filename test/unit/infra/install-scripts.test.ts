import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// npm 11 runs a dependency's install scripts only when package.json's allowScripts approves it
// (https://docs.npmjs.com/cli/v11/commands/npm-install-scripts). Every package of the lockfile
// that has one must be decided (true or false), so `npm ci` prints no "not yet covered" warning
// and a new one cannot slip in unreviewed.

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { hasInstallScript?: boolean }>;
};

const nameOf = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
const withScripts = [
  ...new Set(
    Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript === true)
      .map(([path]) => nameOf(path)),
  ),
].sort();

describe('allowScripts (npm 11 install scripts)', () => {
  it('decides every locked package that has an install script', () => {
    const decided = Object.keys(pkg.allowScripts ?? {});

    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => !decided.includes(name))).toEqual([]);
  });

  it('lists no package that no longer has an install script', () => {
    expect(Object.keys(pkg.allowScripts ?? {}).filter((name) => !withScripts.includes(name))).toEqual([]);
  });

  it('runs only esbuild’s: the others are native builds with prebuilt binaries, or notices', () => {
    const approved = Object.entries(pkg.allowScripts ?? {})
      .filter(([, allowed]) => allowed)
      .map(([name]) => name);

    expect(approved).toEqual(['esbuild']);
  });
});
