import { eventFacts, profileFacts } from './index';

describe('profileFacts', () => {
  it('takes the primary-flagged identity, else the first', () => {
    const r = profileFacts({ identityMap: { ECID: [{ id: 'e1' }], Email: [{ id: 'a@x.io', primary: true }] } });
    expect(r).toEqual({
      ok: true,
      value: {
        primaryIdentity: 'Email:a@x.io',
        identities: ['ECID:e1', 'Email:a@x.io'],
        identitiesJson: JSON.stringify([
          { id: 'e1', namespace: { code: 'ECID' }, primary: false },
          { id: 'a@x.io', namespace: { code: 'Email' }, primary: true },
        ]),
        lastUpdated: undefined,
      },
    });
    // A record with identities of its own gets none stored: an export merges it (the derived list replaces its own).
    const own = profileFacts({ identityMap: { ECID: [{ id: 'e1' }] }, identities: [{ id: 'stale' }] });
    expect(own.ok && own.value).toEqual({ primaryIdentity: 'ECID:e1', identities: ['ECID:e1'], lastUpdated: undefined });
    const first = profileFacts({ identityMap: { ECID: [{ id: 'e1' }, { id: 'e2' }] } });
    expect(first.ok && first.value.primaryIdentity).toBe('ECID:e1');
    // An id listed twice in a namespace (the primary flag on the second): no stored list, the export merges it.
    const twice = profileFacts({ identityMap: { Email: [{ id: 'a@x.io' }, { id: 'a@x.io', primary: true }] } });
    expect(twice.ok && twice.value).toEqual({ primaryIdentity: 'Email:a@x.io', identities: ['Email:a@x.io'], lastUpdated: undefined });
  });

  it.each([
    [[1], 'not a JSON object'],
    [{}, 'identityMap is missing'],
    [{ identityMap: {} }, 'no identity'],
    [{ identityMap: { Email: {} } }, 'not an array'],
    [{ identityMap: { Email: [{ id: '' }] } }, 'non-empty string'],
    [{ identityMap: { Email: [{ id: 'a' }] }, segmentMembership: { ups: { s1: { status: 'gone' } } } }, 'realized, existing or exited'],
    [{ identityMap: { Email: [{ id: 'a' }] }, segmentMembership: { ups: { s1: { status: 'realized', lastQualificationTime: 'yesterday' } } } }, 'ISO 8601'],
    [{ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: 5 } }, 'ISO 8601'],
    [{ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: '2024-02-30T00:00:00Z' } }, 'ISO 8601'],
    [{ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: '0000-01-01T00:00:00Z' } }, 'ISO 8601'],
  ])('refuses %j (%s)', (record, reason) => {
    const r = profileFacts(record);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it.each(['2023-02-29T10:00:00Z', '2024-04-31T10:00:00Z', '2024-01-00T10:00:00Z', '2024-13-01T10:00:00+0200'])('refuses the impossible day %s', (day) => {
    expect(profileFacts({ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: day } }).ok).toBe(false);
  });

  it.each(['2023-02-28T10:00:00Z', '2024-04-30T23:59:59.999+02:00', '2024-01-31T00:00Z'])('accepts the real day %s', (day) => {
    expect(profileFacts({ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: day } }).ok).toBe(true);
  });

  it('accepts a leap day', () => {
    expect(profileFacts({ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: '2024-02-29T10:00:00Z' } }).ok).toBe(true);
  });

  it('reads lastUpdatedDate', () => {
    const r = profileFacts({ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: '2024-05-01T10:00:00Z' } });
    expect(r.ok && r.value.lastUpdated?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
  });

  it('lists the segmentMembership entries it validated, the time as sent', () => {
    const r = profileFacts({
      identityMap: { Email: [{ id: 'a' }] },
      segmentMembership: {
        ups: { s1: { status: 'realized', lastQualificationTime: '2024-05-01T10:00:00+02:00' }, s2: { status: 'exited' } },
        aam: {},
        x: { 'a"b\\': { status: 'existing' } },
      },
    });
    expect(r.ok && r.value.memberships).toEqual([
      { namespace: 'ups', segmentId: 's1', status: 'realized', lastQualificationTime: '2024-05-01T10:00:00+02:00' },
      { namespace: 'ups', segmentId: 's2', status: 'exited' },
      { namespace: 'x', segmentId: 'a"b\\', status: 'existing' },
    ]);
  });

  it('lists no memberships for a record without any', () => {
    for (const segmentMembership of [undefined, {}, { ups: {} }]) {
      const r = profileFacts({ identityMap: { Email: [{ id: 'a' }] }, segmentMembership });
      expect(r.ok && 'memberships' in r.value).toBe(false);
    }
  });
});

describe('eventFacts', () => {
  it('needs _id, timestamp and an identity', () => {
    expect(eventFacts({ _id: 'e', timestamp: '2024-01-01T00:00:00Z', identityMap: { ECID: [{ id: '1' }] } })).toMatchObject({
      ok: true,
      value: { eventId: 'e', primaryIdentity: 'ECID:1' },
    });
    expect(eventFacts({ timestamp: '2024-01-01T00:00:00Z', identityMap: { ECID: [{ id: '1' }] } })).toMatchObject({ ok: false, reason: expect.stringContaining('_id') });
    expect(eventFacts({ _id: 'e', identityMap: { ECID: [{ id: '1' }] } })).toMatchObject({ ok: false, reason: expect.stringContaining('timestamp') });
  });
});
