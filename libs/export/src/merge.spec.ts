import { type FragmentInput, emptyProfile, mergeProfile, mergeRuleOf } from './index';

type Json = Record<string, unknown>;

// Frozen inputs make any write into them throw (spec files run in strict mode).
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Json)[key]);
  }
  return value;
}

function frag(datasetId: string, recordTime: number, record: Json, ingestTime = recordTime): FragmentInput {
  return deepFreeze({ datasetId, recordTime, ingestTime, record });
}

const byTime = { attributeMerge: 'timestampOrdered' } as const;
const ms = (iso: string) => Date.parse(iso);

describe('mergeProfile attributes', () => {
  it('timestampOrdered: deep-merges, each conflicting leaf from the newest fragment that has it', () => {
    const a = frag('ds1', 100, {
      identityMap: { Email: [{ id: 'a@x.io', primary: true }] },
      person: { name: { firstName: 'Ann', lastName: 'Old' }, gender: 'f' },
      homeAddress: { city: 'Paris', country: 'FR' },
      extSourceSystemAudit: { lastUpdatedDate: '2024-01-01T00:00:00Z' },
    });
    const b = frag('ds2', 300, {
      identityMap: { Email: [{ id: 'a@x.io' }] },
      person: { name: { firstName: 'Anne' } },
      homeAddress: { city: 'Lyon' },
      extSourceSystemAudit: { lastUpdatedDate: '2024-03-01T00:00:00Z' },
    });
    const c = frag('ds1', 200, {
      identityMap: { ECID: [{ id: 'e1' }] },
      person: { name: { firstName: 'Annie', middleName: 'M' }, gender: 'x' },
      loyalty: { points: 5 },
    });

    const { record, primaryIdentity } = mergeProfile([a, b, c], byTime);

    expect(record).toEqual({
      person: { name: { firstName: 'Anne', middleName: 'M', lastName: 'Old' }, gender: 'x' },
      homeAddress: { city: 'Lyon', country: 'FR' },
      extSourceSystemAudit: { lastUpdatedDate: '2024-03-01T00:00:00Z' },
      loyalty: { points: 5 },
      // b (newest) is seen first, so its Email entry (not flagged primary) is the one kept.
      identityMap: { Email: [{ id: 'a@x.io' }], ECID: [{ id: 'e1' }] },
      identities: [
        { id: 'a@x.io', namespace: { code: 'Email' }, primary: false },
        { id: 'e1', namespace: { code: 'ECID' }, primary: false },
      ],
    });
    expect('segmentMembership' in record).toBe(false);
    expect(primaryIdentity).toEqual({ namespace: 'Email', id: 'a@x.io' });
  });

  it('a merged nested object is a new object; the inputs stay as they were', () => {
    const low = frag('ds', 1, { identityMap: { ECID: [{ id: 'e' }] }, person: { name: { firstName: 'A', lastName: 'L' } } });
    const high = frag('ds', 2, { identityMap: { ECID: [{ id: 'e' }] }, person: { name: { firstName: 'B' } } });
    const before = structuredClone([low, high]);

    const { record } = mergeProfile([low, high], byTime);

    expect(record.person).toEqual({ name: { firstName: 'B', lastName: 'L' } });
    expect(record.person).not.toBe(high.record.person);
    expect((record.person as Json).name).not.toBe((high.record.person as Json).name);
    expect([low, high]).toEqual(before);
  });

  it('dataSetPrecedence: an earlier dataset wins over a newer fragment; within a dataset the newer wins', () => {
    const policy = { attributeMerge: 'dataSetPrecedence', order: ['crm', 'web'] } as const;
    const crmNew = frag('crm', 100, { identityMap: { ECID: [{ id: 'e' }] }, tier: 'gold', person: { name: { firstName: 'Ann' } } });
    const web = frag('web', 900, { identityMap: { ECID: [{ id: 'e' }] }, tier: 'silver', person: { name: { firstName: 'Anna', lastName: 'Lee' } } });
    const crmOld = frag('crm', 50, { identityMap: { ECID: [{ id: 'e' }] }, tier: 'bronze', extra: 1 });

    const { record } = mergeProfile([web, crmOld, crmNew], policy);

    expect(record).toMatchObject({ tier: 'gold', person: { name: { firstName: 'Ann', lastName: 'Lee' } }, extra: 1 });
  });

  it('dataSetPrecedence: unlisted datasets rank after all listed ones, by timestamp among themselves', () => {
    const policy = { attributeMerge: 'dataSetPrecedence', order: ['crm', 'absent'] } as const;
    const id = { ECID: [{ id: 'e' }] };
    const otherNew = frag('other', 900, { identityMap: id, v: 'other-new' });
    const crm = frag('crm', 100, { identityMap: id, v: 'crm' });
    const third = frag('third', 500, { identityMap: id, v: 'third', w: 'third' });
    const otherOld = frag('other', 50, { identityMap: id, w: 'other-old', u: 'other-old' });

    const { record } = mergeProfile([otherNew, crm, third, otherOld], policy);
    expect(record).toMatchObject({ v: 'crm', w: 'third', u: 'other-old' });

    // The same fragments by timestamp alone: `order` is not read.
    const plain = mergeProfile([otherNew, crm, third, otherOld], { attributeMerge: 'timestampOrdered', order: ['crm'] });
    expect(plain.record).toMatchObject({ v: 'other-new', w: 'third', u: 'other-old' });
  });

  it('breaks recordTime ties by the later ingestTime, then by the later input position', () => {
    const id = { ECID: [{ id: 'e' }] };
    const early = frag('ds', 100, { identityMap: id, v: 'ingested-first' }, 5);
    const late = frag('ds', 100, { identityMap: id, v: 'ingested-later' }, 9);
    expect(mergeProfile([late, early], byTime).record.v).toBe('ingested-later');

    const x = frag('ds', 100, { identityMap: id, v: 'x' }, 5);
    const y = frag('ds', 100, { identityMap: id, v: 'y' }, 5);
    expect(mergeProfile([x, y], byTime).record.v).toBe('y');
    expect(mergeProfile([y, x], byTime).record.v).toBe('x');
  });

  it('treats arrays as leaves: replaced whole, never merged', () => {
    const id = { ECID: [{ id: 'e' }] };
    const old = frag('ds', 1, { identityMap: id, tags: ['a', 'b', 'c'], prefs: { list: [1, 2], keep: true }, a: { x: 1 }, b: [1] });
    const neu = frag('ds', 2, { identityMap: id, tags: ['z'], prefs: { list: [] }, a: [9], b: { y: 1 } });

    expect(mergeProfile([old, neu], byTime).record).toMatchObject({
      tags: ['z'],
      prefs: { list: [], keep: true },
      a: [9],
      b: { y: 1 },
    });
  });

  it('a leaf between two objects hides the objects below it', () => {
    const id = { ECID: [{ id: 'e' }] };
    const low = frag('ds', 1, { identityMap: id, c: { x: 1 } });
    const mid = frag('ds', 2, { identityMap: id, c: 's' });
    const high = frag('ds', 3, { identityMap: id, c: { y: 2 } });
    expect(mergeProfile([low, mid, high], byTime).record.c).toEqual({ y: 2 });
  });

  it('null is a value: a newer null overwrites, an older null is overwritten', () => {
    const id = { ECID: [{ id: 'e' }] };
    const old = frag('ds', 1, { identityMap: id, phone: '123', person: { name: { firstName: 'A' } }, fax: null });
    const neu = frag('ds', 2, { identityMap: id, phone: null, person: { name: null }, fax: '456' });
    expect(mergeProfile([old, neu], byTime).record).toMatchObject({ phone: null, person: { name: null }, fax: '456' });
  });

  it('replaces a fragment-supplied identities field with the derived one', () => {
    const f = frag('ds', 1, { identityMap: { ECID: [{ id: 'e', primary: true }] }, identities: ['bogus'] });
    expect(mergeProfile([f], byTime).record).toEqual({
      identityMap: { ECID: [{ id: 'e', primary: true }] },
      identities: [{ id: 'e', namespace: { code: 'ECID' }, primary: true }],
    });
  });

  it('keeps an own __proto__ key as data, without changing any prototype', () => {
    const id = { ECID: [{ id: 'e' }] };
    const low = frag('ds', 1, { ...JSON.parse('{"__proto__": {"a": 1, "b": 1}}'), identityMap: id });
    const high = frag('ds', 2, { ...JSON.parse('{"__proto__": {"b": 2}}'), identityMap: id });
    const { record } = mergeProfile([low, high], byTime);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).toEqual({ a: 1, b: 2 });
  });

  it('refuses an empty fragment list and a profile without identities', () => {
    expect(() => mergeProfile([], byTime)).toThrow(/emptyProfile/);
    expect(() => mergeProfile([frag('ds', 1, { a: 1 })], byTime)).toThrow(/identity/);
  });
});

describe('mergeProfile identityMap', () => {
  it('is the union per namespace, deduplicated by id, each entry from the highest fragment that has it', () => {
    const high = frag('ds', 200, {
      identityMap: { ECID: [{ id: 'e2' }], Email: [{ id: 'a@x.io', primary: true, authenticatedState: 'authenticated' }] },
    });
    const low = frag('ds', 100, {
      identityMap: {
        Email: [{ id: 'b@x.io', primary: true }, { id: 'a@x.io' }, { noId: 1 }],
        ECID: [
          { id: 'e1', primary: false },
          { id: 'e2', primary: true },
        ],
        Phone: [{ id: '+1' }],
      },
    });

    const { record, primaryIdentity } = mergeProfile([low, high], byTime);

    expect(record.identityMap).toEqual({
      ECID: [{ id: 'e2' }, { id: 'e1', primary: false }],
      Email: [
        { id: 'a@x.io', primary: true, authenticatedState: 'authenticated' },
        { id: 'b@x.io', primary: true },
      ],
      Phone: [{ id: '+1' }],
    });
    expect(Object.keys(record.identityMap as Json)).toEqual(['ECID', 'Email', 'Phone']);
    expect(record.identities).toEqual([
      { id: 'e2', namespace: { code: 'ECID' }, primary: false },
      { id: 'e1', namespace: { code: 'ECID' }, primary: false },
      { id: 'a@x.io', namespace: { code: 'Email' }, primary: true },
      { id: 'b@x.io', namespace: { code: 'Email' }, primary: true },
      { id: '+1', namespace: { code: 'Phone' }, primary: false },
    ]);
    // The first primary-flagged entry in merged order, not the first entry (ECID e2).
    expect(primaryIdentity).toEqual({ namespace: 'Email', id: 'a@x.io' });
  });

  it('takes the primary flag from the winning fragment, which may drop it', () => {
    const high = frag('ds', 2, { identityMap: { Email: [{ id: 'a' }], ECID: [{ id: 'e' }] } });
    const low = frag('ds', 1, { identityMap: { ECID: [{ id: 'e' }], Email: [{ id: 'a', primary: true }] } });
    const { record, primaryIdentity } = mergeProfile([high, low], byTime);
    expect(record.identityMap).toEqual({ Email: [{ id: 'a' }], ECID: [{ id: 'e' }] });
    expect(primaryIdentity).toEqual({ namespace: 'Email', id: 'a' });
  });

  it('deduplicates within one fragment too', () => {
    const f = frag('ds', 1, { identityMap: { ECID: [{ id: 'e', primary: true }, { id: 'e' }] } });
    expect(mergeProfile([f], byTime).record.identityMap).toEqual({ ECID: [{ id: 'e', primary: true }] });
  });
});

describe('mergeProfile segmentMembership', () => {
  it('keeps per (namespace, segment) the latest lastQualificationTime; missing counts as ingestTime; ties go to precedence', () => {
    const older = frag(
      'ds',
      100,
      {
        identityMap: { ECID: [{ id: 'e' }] },
        segmentMembership: {
          ups: {
            s1: { status: 'realized', lastQualificationTime: '2024-01-02T00:00:00Z' },
            s2: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00Z' },
            s3: { status: 'exited' },
          },
        },
      },
      ms('2024-03-01T00:00:00Z'),
    );
    const newer = frag(
      'ds',
      200,
      {
        identityMap: { ECID: [{ id: 'e' }] },
        segmentMembership: {
          ups: {
            s1: { status: 'exited', lastQualificationTime: '2024-01-01T00:00:00Z' },
            s2: { status: 'exited', lastQualificationTime: '2024-01-01T00:00:00.000Z' },
            s3: { status: 'realized', lastQualificationTime: '2024-02-15T00:00:00Z' },
            s4: { status: 'exited', lastQualificationTime: '2024-01-01T00:00:00Z' },
          },
          other: { x: { status: 'realized' } },
        },
      },
      ms('2024-02-01T00:00:00Z'),
    );
    const oldest = frag(
      'ds',
      50,
      {
        identityMap: { ECID: [{ id: 'e' }] },
        segmentMembership: { ups: { s4: { status: 'realized' } } },
      },
      ms('2023-12-01T00:00:00Z'),
    );

    const { record } = mergeProfile([older, newer, oldest], byTime);

    expect(record.segmentMembership).toEqual({
      ups: {
        s1: { status: 'realized', lastQualificationTime: '2024-01-02T00:00:00Z' }, // later time, lower precedence
        s2: { status: 'exited', lastQualificationTime: '2024-01-01T00:00:00.000Z' }, // same instant: newer fragment
        s3: { status: 'exited' }, // no time: its ingest time 2024-03-01 beats 2024-02-15
        s4: { status: 'exited', lastQualificationTime: '2024-01-01T00:00:00Z' }, // no time: ingest 2023-12-01 loses
      },
      other: { x: { status: 'realized' } },
    });
    expect(Object.keys(record.segmentMembership as Json)).toEqual(['ups', 'other']);
  });

  it('compares times as instants, whatever their layout or offset', () => {
    const f = (recordTime: number, ups: Json) => frag('ds', recordTime, { identityMap: { ECID: [{ id: 'e' }] }, segmentMembership: { ups } });
    const high = f(2, {
      a: { status: 'exited', lastQualificationTime: '2024-01-01T01:00:00+02:00' }, // 2023-12-31T23:00Z
      b: { status: 'exited', lastQualificationTime: '2024-01-01T00:00:00.4Z' },
      c: { status: 'exited', lastQualificationTime: '2024-01-01T00:00:00.500Z' },
      d: { status: 'exited', lastQualificationTime: '2024-01-01T00:00:00Z' },
    });
    const low = f(1, {
      a: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00Z' },
      b: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00.5Z' },
      c: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00.5Z' }, // same instant: precedence
      d: { status: 'realized', lastQualificationTime: 'not a time' }, // unreadable: ingest time 1 ms
    });
    const merged = mergeProfile([low, high], byTime).record.segmentMembership as { ups: Record<string, Json> };
    expect([merged.ups.a.status, merged.ups.b.status, merged.ups.c.status, merged.ups.d.status]).toEqual(['realized', 'realized', 'exited', 'exited']);
  });

  it('is present when one fragment has it, absent when none has', () => {
    const withIt = frag('ds', 1, { identityMap: { ECID: [{ id: 'e' }] }, segmentMembership: { ups: { s: { status: 'realized' } } } });
    const without = frag('ds', 2, { identityMap: { ECID: [{ id: 'e' }] } });
    expect(mergeProfile([withIt, without], byTime).record.segmentMembership).toEqual({ ups: { s: { status: 'realized' } } });
    expect(mergeProfile([withIt], byTime).record.segmentMembership).toEqual({ ups: { s: { status: 'realized' } } });
    expect('segmentMembership' in mergeProfile([without, without], byTime).record).toBe(false);
  });
});

describe('emptyProfile', () => {
  it('has only identityMap (first identity primary, duplicates dropped) and identities', () => {
    const p = emptyProfile([
      { namespace: 'ECID', id: 'e1' },
      { namespace: 'Email', id: 'a' },
      { namespace: 'ECID', id: 'e2' },
      { namespace: 'ECID', id: 'e1' },
    ]);
    expect(p).toEqual({
      record: {
        identityMap: {
          ECID: [
            { id: 'e1', primary: true },
            { id: 'e2', primary: false },
          ],
          Email: [{ id: 'a', primary: false }],
        },
        identities: [
          { id: 'e1', namespace: { code: 'ECID' }, primary: true },
          { id: 'e2', namespace: { code: 'ECID' }, primary: false },
          { id: 'a', namespace: { code: 'Email' }, primary: false },
        ],
      },
      primaryIdentity: { namespace: 'ECID', id: 'e1' },
    });
    expect(() => emptyProfile([])).toThrow(/identity/);
  });
});

describe('mergeRuleOf', () => {
  it('maps a stored attributeMerge', () => {
    expect(mergeRuleOf({ type: 'timestampOrdered' })).toEqual({ attributeMerge: 'timestampOrdered' });
    expect(mergeRuleOf({ type: 'dataSetPrecedence', order: ['a', 'b'] })).toEqual({ attributeMerge: 'dataSetPrecedence', order: ['a', 'b'] });
  });
});
