import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LakeDirError, openLakeDir, prefixOfKey } from '../../../infra/local/query/lake-dir';
import { DEFAULT_LAKE_PREFIX } from '../../../shared/lake-layout';

describe('a lake copy on disk', () => {
  it('reads the layout off a data object key', () => {
    expect(prefixOfKey('events/event_type=signup/dt=2026-01-02/x.gz')).toBe(DEFAULT_LAKE_PREFIX);
    expect(prefixOfKey('lake/data/client_id=acme/dt=2026-01-02/hour=03/x.gz')).toBe(
      'lake/data/client_id=!{partitionKeyFromLambda:client_id}/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/',
    );
  });

  it('finds no layout in keys that are not data objects', () => {
    expect(prefixOfKey('errors/processing-failed/year=2026/month=01/x.gz')).toBeUndefined();
    expect(prefixOfKey('quarantine/MALFORMED_JSON/2026/01/02/x.json')).toBeUndefined();
    expect(prefixOfKey('events/event_type=signup/x.gz')).toBeUndefined();
  });

  it('opens a copy with the layout its objects were written with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-dir-'));
    try {
      mkdirSync(join(dir, 'errors/processing-failed/year=2026'), { recursive: true });
      writeFileSync(join(dir, 'errors/processing-failed/year=2026/a.gz'), '');
      expect((await openLakeDir(dir)).prefix).toBe(DEFAULT_LAKE_PREFIX);
      mkdirSync(join(dir, 'events/dt=2026-01-02/hour=04'), { recursive: true });
      writeFileSync(join(dir, 'events/dt=2026-01-02/hour=04/b.gz'), '');
      expect(await openLakeDir(dir)).toEqual({
        dir,
        prefix: 'events/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/',
        errorRoot: 'errors/',
        quarantineRoot: 'quarantine/',
        bucket: 'lake',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the directory is missing or is a file', async () => {
    await expect(openLakeDir('/nonexistent/lake')).rejects.toMatchObject({ reason: 'NoSuchDirectory' });
    await expect(openLakeDir(__filename)).rejects.toBeInstanceOf(LakeDirError);
    await expect(openLakeDir(__filename)).rejects.toMatchObject({ reason: 'NotADirectory' });
  });
});
