import { matches, parseShown, printedAfter, readmeCommands, transcriptOf } from '../helpers/readme-commands';

// The reader behind test/integration/readme-commands.test.ts: what counts as a README command,
// and what a shown line with `…` accepts. A matcher that accepted anything would make every
// transcript check there pass.

const fence = '```';
const markdown = [
  `${fence}sh`,
  'npm ci          # install',
  '# a comment line',
  'LOCAL_X=1 \\',
  '  npm start -- --input a.ndjson --keep-running   # watch it',
  'aws s3 ls s3://bucket/',
  `${fence}`,
  '',
  `${fence}`,
  '  printed line 1',
  `${fence}`,
  `${fence}`,
  '$ npx osls invoke local -f fn -p events/x.json    # also y.json',
  '{"level":"INFO","message":"done","count":3,…}',
  '{',
  '    "items": [1, …]',
  '}',
  'npm start -- --not-a-command-here',
  `${fence}`,
].join('\n');

describe('readmeCommands', () => {
  it("takes sh lines (continuations joined, comments off) and $ lines of other blocks, of the project's tools only", () => {
    expect(readmeCommands(markdown)).toEqual([
      'npm ci',
      'LOCAL_X=1 npm start -- --input a.ndjson --keep-running',
      'npx osls invoke local -f fn -p events/x.json',
    ]);
  });

  it('finds the transcript of a $ command and the block printed after a sh command', () => {
    expect(transcriptOf(markdown, 'npx osls invoke local -f fn -p events/x.json')[0]).toBe(
      '{"level":"INFO","message":"done","count":3,…}',
    );
    expect(printedAfter(markdown, 'npm ci')).toEqual(['  printed line 1']);
    expect(() => transcriptOf(markdown, 'npm ci')).toThrow('No transcript');
  });
});

describe('matches (shown JSON with … for what is left out)', () => {
  it('takes the keys shown, so a shown line ending in ,…} matches a line with more keys', () => {
    const shown = parseShown('{"level":"INFO","message":"done","count":3,…}');

    expect(matches(shown, { level: 'INFO', message: 'done', count: 3, extra: true })).toBe(true);
    expect(matches(shown, { level: 'INFO', message: 'done', count: 4 })).toBe(false);
    expect(matches(shown, { level: 'INFO', message: 'done' })).toBe(false);
    expect(matches(shown, { level: 'INFO', message: 'done', count: '3' })).toBe(false);
  });

  it('reads … inside a string as any text between the pieces shown', () => {
    const shown = parseShown('{"data":"eyJp…J9Cg==","location":"s3://b/quarantine/…json"}');

    expect(matches(shown, { data: 'eyJpZCI6J9Cg==', location: 's3://b/quarantine/x/y.json' })).toBe(true);
    expect(matches(shown, { data: 'eyJpZCI6In0K', location: 's3://b/quarantine/x/y.json' })).toBe(false);
    expect(matches(shown, { data: 'eyJp', location: 's3://b/quarantine/x/y.json' })).toBe(false);
  });

  it('takes an array ending in … as its first items, and any other array whole', () => {
    expect(matches(parseShown('{"items": [1, …]}'), { items: [1, 2, 3] })).toBe(true);
    expect(matches(parseShown('{"items": [1, …]}'), { items: [2, 1] })).toBe(false);
    expect(matches(parseShown('{"batchItemFailures": []}'), { batchItemFailures: [] })).toBe(true);
    expect(matches(parseShown('{"batchItemFailures": []}'), { batchItemFailures: [{ itemIdentifier: '1' }] })).toBe(
      false,
    );
    expect(matches(parseShown('{"events":[…],"_aws":{…}}'), { events: [1], _aws: { a: 1 } })).toBe(true);
    expect(matches(parseShown('[\n  {"a": 1},\n  …\n]'), [{ a: 1 }, { a: 2 }])).toBe(true);
  });
});
