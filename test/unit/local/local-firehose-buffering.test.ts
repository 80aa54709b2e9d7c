import { objectKey } from '../../../infra/local/firehose/destinations/s3';
import { planAppend } from '../../../infra/local/firehose/partitions';

describe('planAppend', () => {
  it('keeps buffering below the size hint', () => {
    expect(planAppend(0, 10, 100)).toEqual({ flushBefore: false, flushAfter: false });
    expect(planAppend(50, 49, 100)).toEqual({ flushBefore: false, flushAfter: false });
  });

  it('delivers once the buffer reaches the size hint exactly', () => {
    expect(planAppend(50, 50, 100)).toEqual({ flushBefore: false, flushAfter: true });
  });

  it('delivers what is buffered before a record that would overflow it', () => {
    expect(planAppend(90, 20, 100)).toEqual({ flushBefore: true, flushAfter: false });
  });

  it('delivers a record larger than the hint on its own', () => {
    expect(planAppend(0, 150, 100)).toEqual({ flushBefore: false, flushAfter: true });
    expect(planAppend(10, 150, 100)).toEqual({ flushBefore: true, flushAfter: true });
  });
});

describe('objectKey', () => {
  const at = Date.UTC(2026, 2, 4, 5, 6, 7);
  const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';

  it('names objects like Firehose: prefix, stream, version, UTC time, uuid, .gz when gzipped', () => {
    expect(objectKey('events/a=1/', 'delivery', at, 'GZIP', uuid)).toBe(
      `events/a=1/delivery-1-2026-03-04-05-06-07-${uuid}.gz`,
    );
    expect(objectKey('', 'delivery', at, 'UNCOMPRESSED', uuid)).toBe(`delivery-1-2026-03-04-05-06-07-${uuid}`);
  });
});
