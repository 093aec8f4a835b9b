import { partitionsWanted, rangesBetween } from './partition-ranges';

describe('partitions of an export', () => {
  it('takes the count asked for; else one per EXPORT_PARTITION_PROFILES profiles, at most 64; 0 never splits', () => {
    expect(partitionsWanted(3, 10, 1_000_000)).toBe(3);
    expect(partitionsWanted(undefined, 1_000_000, 1_000_000)).toBe(1);
    expect(partitionsWanted(undefined, 1_000_001, 1_000_000)).toBe(2);
    expect(partitionsWanted(undefined, 0, 1_000_000)).toBe(1);
    expect(partitionsWanted(undefined, 10_000_000, 1000)).toBe(64);
    expect(partitionsWanted(undefined, 10_000_000, 0)).toBe(1);
  });

  it('ranges between split keys cover every key once, open at both ends', () => {
    expect(rangesBetween([])).toEqual([{ partition: 0, keyFrom: undefined, keyTo: undefined }]);
    const ranges = rangesBetween(['email:b', 'email:m']);
    expect(ranges).toEqual([
      { partition: 0, keyFrom: undefined, keyTo: 'email:b' },
      { partition: 1, keyFrom: 'email:b', keyTo: 'email:m' },
      { partition: 2, keyFrom: 'email:m', keyTo: undefined },
    ]);
    const holding = (key: string) => ranges.filter((r) => (r.keyFrom === undefined || key >= r.keyFrom) && (r.keyTo === undefined || key < r.keyTo)).map((r) => r.partition);
    for (const [key, partition] of [
      ['email:a', 0],
      ['email:b', 1],
      ['email:l', 1],
      ['email:m', 2],
      ['email:z', 2],
    ] as const)
      expect(holding(key)).toEqual([partition]);
  });
});
