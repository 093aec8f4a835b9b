import { columnName, fieldColumns, knownArrayPrefix } from './index';

describe('fieldColumns', () => {
  it('keeps every path in the order given, normalised as fields is elsewhere', () => {
    expect(fieldColumns(' person.name.lastName , loyalty . points,,homeAddress.,  .x')).toEqual([['person', 'name', 'lastName'], ['loyalty', 'points'], ['homeAddress'], ['x']]);
  });

  it('keeps a path given twice (after normalisation) once, at its first place; a path and its parent are two columns', () => {
    const columns = fieldColumns('a.b,c, a . b ,a,c');
    expect(columns.map(columnName)).toEqual(['a.b', 'c', 'a']);
  });

  it('is empty for blank or absent fields', () => {
    for (const fields of [undefined, '', '   ', ', ,', ' . ']) expect(fieldColumns(fields)).toEqual([]);
  });
});

describe('knownArrayPrefix', () => {
  it.each([
    ['identities', 'identities'],
    ['identities.id', 'identities'],
    ['identityMap.Email', 'identityMap.Email'],
    ['identityMap.ECID.id', 'identityMap.ECID'],
    ['eventList', 'eventList'],
    ['eventList.timestamp', 'eventList'],
  ])('%s is or goes through the array %s', (path, array) => {
    expect(knownArrayPrefix(fieldColumns(path)[0])).toBe(array);
  });

  it.each(['identityMap', 'person.identities', 'segmentMembership', 'segmentMembership.ups', 'identitiesX', 'personalEmail.address'])('%s is no known array', (path) => {
    expect(knownArrayPrefix(fieldColumns(path)[0])).toBeUndefined();
  });
});
