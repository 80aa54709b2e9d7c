import { partitionKeys, utcTimeOf } from '../../shared/partition';
import { testLayout } from '../helpers/factories';

describe('partitionKeys', () => {
  it('keys the listed event type and the UTC day of the event time (the default layout)', () => {
    // Act
    const keys = partitionKeys(testLayout(), {
      clientId: 'client-acme',
      eventType: 'searching',
      time: '2026-03-14T15:08:00.123Z',
    });

    // Assess
    expect(keys).toEqual({ event_type: 'searching', dt: '2026-03-14' });
  });

  it('converts an offset time to its UTC day and hour, across a year boundary', () => {
    const layout = testLayout({
      LAKE_PREFIX: 'events/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/',
    });

    const keys = partitionKeys(layout, { clientId: 'c', eventType: 't', time: '2026-12-31T23:30:00-02:00' });

    expect(keys).toEqual({ dt: '2027-01-01', hour: '01' });
  });

  it('gives client_id only to a layout that opts into it', () => {
    const layout = testLayout({
      LAKE_PREFIX:
        'events/client_id=!{partitionKeyFromLambda:client_id}/event_type=!{partitionKeyFromLambda:event_type}/dt=!{partitionKeyFromLambda:dt}/',
    });

    const keys = partitionKeys(layout, { clientId: 'acme/corp', eventType: 'signup', time: '2026-03-14T15:08:00Z' });

    expect(keys).toEqual({
      client_id: expect.stringMatching(/^acme_corp--[0-9a-f]{12}$/),
      event_type: '_other',
      dt: '2026-03-14',
    });
  });

  it.each([['not a time'], ['2026-13-01T00:00:00Z'], ['2026-01-01T24:00:00Z'], ['2026-01-01T10:00:00']])(
    'rejects the invalid time %p with INVALID_EVENT_TIME',
    (time) => {
      expect(() => utcTimeOf(time)).toThrow(expect.objectContaining({ reason: 'INVALID_EVENT_TIME' }));
      expect(() => partitionKeys(testLayout(), { clientId: 'c', eventType: 't', time })).toThrow(
        expect.objectContaining({ reason: 'INVALID_EVENT_TIME' }),
      );
    },
  );
});
