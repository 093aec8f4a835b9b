import { type MembershipFilter, qualifies, qualifiesAny } from './index';

const T = Date.parse('2024-01-10T00:00:00Z');
const membership = {
  ups: {
    r: { status: 'realized', lastQualificationTime: '2024-01-10T00:00:00Z' },
    e: { status: 'existing', lastQualificationTime: '2024-01-10T00:00:00Z' },
    x: { status: 'exited', lastQualificationTime: '2024-01-10T00:00:00Z' },
    n: { status: 'realized' },
  },
  aam: { r: { status: 'exited', lastQualificationTime: '2024-01-10T00:00:00Z' } },
};

const f = (segmentId: string, status: string[], segmentNs = 'ups'): MembershipFilter => ({ segmentNs, segmentId, status });

describe('qualifies', () => {
  it.each([
    [['realized'], { r: true, e: true, x: false }],
    [['existing'], { r: true, e: true, x: false }],
    [['exited'], { r: false, e: false, x: true }],
    [['realized', 'exited'], { r: true, e: true, x: true }],
    [[], { r: false, e: false, x: false }],
  ])('status filter %j', (status, expected) => {
    for (const [segmentId, result] of Object.entries(expected)) {
      expect([segmentId, qualifies(membership, f(segmentId, status))]).toEqual([segmentId, result]);
    }
  });

  it('matches the namespace too, and is false for a missing entry or membership', () => {
    expect(qualifies(membership, f('r', ['realized'], 'aam'))).toBe(false);
    expect(qualifies(membership, f('r', ['exited'], 'aam'))).toBe(true);
    expect(qualifies(membership, f('missing', ['realized']))).toBe(false);
    expect(qualifies(membership, f('r', ['realized'], 'nope'))).toBe(false);
    expect(qualifies(undefined, f('r', ['realized']))).toBe(false);
    expect(qualifies(null, f('r', ['realized']))).toBe(false);
    expect(qualifies({ ups: { r: 'realized' } }, f('r', ['realized']))).toBe(false);
  });

  it('keeps lastQualificationTime within [startMs, endMs], both ends inclusive and optional', () => {
    const r = f('r', ['realized']);
    expect(qualifies(membership, r, { startMs: T })).toBe(true);
    expect(qualifies(membership, r, { startMs: T + 1 })).toBe(false);
    expect(qualifies(membership, r, { endMs: T })).toBe(true);
    expect(qualifies(membership, r, { endMs: T - 1 })).toBe(false);
    expect(qualifies(membership, r, { startMs: T, endMs: T })).toBe(true);
    expect(qualifies(membership, r, { startMs: T - 5, endMs: T + 5 })).toBe(true);
    expect(qualifies(membership, r, {})).toBe(true);
  });

  it('does not place an entry without a time in a window', () => {
    expect(qualifies(membership, f('n', ['realized']))).toBe(true);
    expect(qualifies(membership, f('n', ['realized']), {})).toBe(true);
    expect(qualifies(membership, f('n', ['realized']), { startMs: 0 })).toBe(false);
  });
});

describe('qualifiesAny', () => {
  const filters = [f('r', ['realized']), f('x', ['realized']), f('r', ['exited'], 'aam'), f('missing', ['realized']), f('n', ['existing'])];

  it('lists the indexes of the filters the profile qualifies for', () => {
    expect(qualifiesAny(membership, filters)).toEqual([0, 2, 4]);
    expect(qualifiesAny(membership, filters, { startMs: T })).toEqual([0, 2]);
    expect(qualifiesAny(membership, filters, { endMs: T - 1 })).toEqual([]);
    expect(qualifiesAny(undefined, filters)).toEqual([]);
  });
});
