import { overlayMemberships } from './overlay';

const t = (iso: string) => Date.parse(iso);

describe('overlayMemberships', () => {
  const record = {
    ups: { a: { status: 'realized', lastQualificationTime: '2026-01-02T00:00:00.000Z' }, b: { status: 'exited', lastQualificationTime: '2026-01-05T00:00:00.000Z' } },
  };

  it('returns the record membership itself when nothing is evaluated', () => {
    expect(overlayMemberships(record, [])).toBe(record);
    expect(overlayMemberships(undefined, [])).toBeUndefined();
  });

  it('takes the later entry, the evaluated one on a tie, and never writes to the record', () => {
    const before = JSON.stringify(record);
    const out = overlayMemberships(record, [
      { segmentNs: 'ups', segmentId: 'a', status: 'exited', lastQualificationTime: t('2026-01-02T00:00:00.000Z') }, // tie: evaluated wins
      { segmentNs: 'ups', segmentId: 'b', status: 'realized', lastQualificationTime: t('2026-01-04T00:00:00.000Z') }, // earlier: record wins
      { segmentNs: 'ups', segmentId: 'c', status: 'realized', lastQualificationTime: t('2026-01-01T00:00:00.000Z') }, // absent: added
      { segmentNs: 'other', segmentId: 'd', status: 'realized', lastQualificationTime: t('2026-01-01T00:00:00.000Z') },
    ]);
    expect(out).toEqual({
      ups: {
        a: { status: 'exited', lastQualificationTime: '2026-01-02T00:00:00.000Z' },
        b: { status: 'exited', lastQualificationTime: '2026-01-05T00:00:00.000Z' },
        c: { status: 'realized', lastQualificationTime: '2026-01-01T00:00:00.000Z' },
      },
      other: { d: { status: 'realized', lastQualificationTime: '2026-01-01T00:00:00.000Z' } },
    });
    expect(JSON.stringify(record)).toBe(before);
  });

  it('overlays onto a profile without a segmentMembership', () => {
    expect(overlayMemberships(undefined, [{ segmentNs: 'ups', segmentId: 'x', status: 'realized', lastQualificationTime: 0 }])).toEqual({
      ups: { x: { status: 'realized', lastQualificationTime: '1970-01-01T00:00:00.000Z' } },
    });
  });
});
