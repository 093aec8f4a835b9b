import { PreviewTally, namespaceOf } from './preview-tally';

describe('PreviewTally', () => {
  it('counts reads and matches, each namespace once per match, and numbers matches across checkpoints', () => {
    const t = new PreviewTally();
    t.add({ key: 'Email:a', identities: ['Email:a', 'CRMID:1', 'Email:a2'], matched: true });
    t.add({ key: 'Email:b', identities: ['Email:b'], matched: false });
    const first = t.progress();
    expect(first).toEqual({
      profilesRead: 2,
      profilesMatched: 1,
      namespaceDistribution: { Email: 1, CRMID: 1 },
      matches: [{ entityId: 'Email:a', identities: ['CRMID:1', 'Email:a2'] }],
      firstOrdinal: 0,
    });
    t.committed(first);
    expect(t.pendingCount).toBe(0);
    t.add({ key: 'ECID:x', identities: ['ECID:x', 'Email:x'], matched: true });
    expect(t.progress()).toMatchObject({
      profilesRead: 3,
      profilesMatched: 2,
      namespaceDistribution: { Email: 2, CRMID: 1, ECID: 1 },
      firstOrdinal: 1,
      matches: [{ entityId: 'ECID:x', identities: ['Email:x'] }],
    });
  });

  it('a namespace is what comes before the first colon', () => {
    expect(namespaceOf('Email:a:b')).toBe('Email');
    expect(namespaceOf('odd')).toBe('odd');
  });
});
