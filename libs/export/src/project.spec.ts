import { compileProjection } from './index';

type Json = Record<string, unknown>;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Json)[key]);
  }
  return value;
}

const identityMap = { Email: [{ id: 'a@x.io', primary: true }], ECID: [{ id: 'e1' }] };
const segmentMembership = {
  ups: { s1: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00Z' }, s2: { status: 'exited' } },
  aam: { s1: { status: 'realized' } },
};
const profile: Json = deepFreeze({
  identityMap,
  identities: [
    { id: 'a@x.io', namespace: { code: 'Email' }, primary: true },
    { id: 'e1', namespace: { code: 'ECID' }, primary: false },
  ],
  personalEmail: { address: 'a@x.io', status: 'active' },
  person: { name: { firstName: 'Ann', lastName: 'Lee' }, birthYear: 1980 },
  tags: ['vip', 'beta'],
  orders: [{ id: 'o1', total: 10, items: [{ sku: 'k1', qty: 1 }, { sku: 'k2' }] }, { id: 'o2' }, 'junk', null],
  segmentMembership,
});

describe('compileProjection fields', () => {
  it('selects dot paths, mapping over arrays; identityMap and segmentMembership come along whole', () => {
    expect(compileProjection('identities.id,personalEmail.address')(profile)).toEqual({
      identities: [{ id: 'a@x.io' }, { id: 'e1' }],
      personalEmail: { address: 'a@x.io' },
      identityMap,
      segmentMembership,
    });
  });

  it('walks nested arrays; object elements keep their place ({} when they lack the path), scalars go', () => {
    const project = compileProjection('orders.items.sku');
    expect(project(profile).orders).toEqual([{ items: [{ sku: 'k1' }, { sku: 'k2' }] }, {}]);
    expect(compileProjection('orders.total')(profile).orders).toEqual([{ total: 10 }, {}]);
    // Ending at the array keeps every element, scalars and null included.
    expect(compileProjection('orders')(profile).orders).toEqual(profile.orders);
    expect(compileProjection('tags')(profile).tags).toEqual(['vip', 'beta']);
  });

  it('leaves missing paths absent instead of inventing values', () => {
    const row = compileProjection('person.nickname,nope,person.name.middle,person.birthYear.value,tags.x')(profile);
    expect(row).toEqual({ identityMap, segmentMembership });
    expect(Object.keys(row).sort()).toEqual(['identityMap', 'segmentMembership']);
  });

  it('merges overlapping paths', () => {
    expect(compileProjection('person.name.firstName,person.birthYear')(profile).person).toEqual({
      name: { firstName: 'Ann' },
      birthYear: 1980,
    });
    const whole = { name: { firstName: 'Ann', lastName: 'Lee' }, birthYear: 1980 };
    expect(compileProjection('person,person.name.firstName')(profile).person).toEqual(whole);
    expect(compileProjection('person.name.firstName,person')(profile).person).toEqual(whole);
  });

  it('ignores whitespace and empty items', () => {
    expect(compileProjection(' identities.id ,, personalEmail . address , ')(profile)).toEqual(compileProjection('identities.id,personalEmail.address')(profile));
  });

  it.each([[undefined], [''], ['   '], [' , ,']])('keeps everything for blank fields (%j), in a new top-level object', (fields) => {
    const row = compileProjection(fields)(profile);
    expect(row).toEqual(profile);
    expect(row).not.toBe(profile);
    row.eventList = [];
    expect('eventList' in profile).toBe(false);
  });
});

describe('compileProjection identityMap and segmentMembership', () => {
  const keep = [
    { segmentNs: 'ups', segmentId: 's1' },
    { segmentNs: 'aam', segmentId: 's9' },
  ];

  it('keeps only the exported segments, by namespace and id', () => {
    expect(compileProjection('personalEmail.address', keep)(profile)).toEqual({
      personalEmail: { address: 'a@x.io' },
      identityMap,
      segmentMembership: { ups: { s1: segmentMembership.ups.s1 } },
    });
    expect(compileProjection('tags', [{ segmentNs: 'aam', segmentId: 's1' }])(profile).segmentMembership).toEqual({
      aam: { s1: { status: 'realized' } },
    });
  });

  it('restricts segmentMembership with blank fields and when fields name it', () => {
    const { segmentMembership: _all, ...rest } = profile;
    expect(compileProjection(undefined, keep)(profile)).toEqual({ ...rest, segmentMembership: { ups: { s1: segmentMembership.ups.s1 } } });
    expect(compileProjection('segmentMembership', keep)(profile)).toEqual({
      identityMap,
      segmentMembership: { ups: { s1: segmentMembership.ups.s1 } },
    });
  });

  it('omits segmentMembership when nothing of it is left, or the profile has none', () => {
    expect('segmentMembership' in compileProjection('tags', [{ segmentNs: 'ups', segmentId: 'zz' }])(profile)).toBe(false);
    expect('segmentMembership' in compileProjection('tags', [])(profile)).toBe(false);
    expect('segmentMembership' in compileProjection(undefined, keep)({ identityMap })).toBe(false);
    expect('segmentMembership' in compileProjection('tags')({ identityMap, tags: [] })).toBe(false);
  });

  it('keeps identityMap whole whatever fields say about it', () => {
    expect(compileProjection('identityMap.Email.id', keep)(profile).identityMap).toEqual(identityMap);
    expect(compileProjection('tags', keep)(profile).identityMap).toEqual(identityMap);
  });
});
