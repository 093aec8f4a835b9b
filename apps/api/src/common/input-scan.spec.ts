import { NUL_MESSAGE, SURROGATE_MESSAGE, UNKNOWN_PROPERTY, inputProblems } from './input-scan';

const nested = (levels: number): unknown => JSON.parse(`${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`);

describe('inputProblems', () => {
  it('accepts ordinary values, and every kind of scalar', () => {
    expect(inputProblems({ a: [1, 'x', true, null, { b: 'tab\t\u0001 😀' }] }, 32)).toEqual([]);
    expect(inputProblems(undefined, 32)).toEqual([]);
    expect(inputProblems('plain', 32)).toEqual([]);
  });

  it('counts the root as level 1 and refuses the first level past the limit, with one problem', () => {
    expect(inputProblems(nested(32), 32)).toEqual([]);
    expect(inputProblems(nested(33), 32)).toEqual([{ path: '', message: 'is nested deeper than 32 levels' }]);
    expect(inputProblems(JSON.parse(`[${'['.repeat(32)}${']'.repeat(32)}]`), 32)).toEqual([{ path: '', message: 'is nested deeper than 32 levels' }]);
  });

  it('walks 1,000,000 levels without recursion', () => {
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`);
    expect(inputProblems(deep, 32)).toEqual([{ path: '', message: 'is nested deeper than 32 levels' }]);
  });

  it('names each string holding a NUL by its path, in document order', () => {
    const body = { fields: 'a\u0000', destination: { datasetId: '\u0000' }, filter: { segments: [{ segmentId: 'ok' }, { segmentId: 's\u0000' }] } };
    expect(inputProblems(body, 32)).toEqual([
      { path: 'fields', message: NUL_MESSAGE },
      { path: 'destination.datasetId', message: NUL_MESSAGE },
      { path: 'filter.segments[1].segmentId', message: NUL_MESSAGE },
    ]);
  });

  it('names property names holding a NUL, shown escaped', () => {
    expect(inputProblems({ filter: { 'a\u0000b': 1 } }, 32)).toEqual([{ path: 'filter.a\\u0000b', message: `${NUL_MESSAGE} in its name` }]);
  });

  it("refuses lone surrogates in strings and names (an object's names before its values), and accepts paired ones", () => {
    expect(inputProblems({ name: 'x\ud800', ok: '😀', 'k\udc00': 1 }, 32)).toEqual([
      { path: 'k\\udc00', message: `${SURROGATE_MESSAGE} in its name` },
      { path: 'name', message: SURROGATE_MESSAGE },
    ]);
  });

  it('refuses __proto__ (an own key, as JSON.parse makes it) and the other Object.prototype names at any level', () => {
    const body = JSON.parse('{"__proto__":{"x":1},"filter":{"constructor":{},"segments":[{"toString":"x"}]},"prototype":1,"hasOwnProperty":1}');
    expect(inputProblems(body, 32)).toEqual([
      { path: '__proto__', message: UNKNOWN_PROPERTY },
      { path: 'prototype', message: UNKNOWN_PROPERTY },
      { path: 'hasOwnProperty', message: UNKNOWN_PROPERTY },
      { path: 'filter.constructor', message: UNKNOWN_PROPERTY },
      { path: 'filter.segments[0].toString', message: UNKNOWN_PROPERTY },
    ]);
  });

  it('looks at own keys only, so null-prototype objects (query strings, forms) and inherited names are fine', () => {
    const query = Object.assign(Object.create(null), { limit: '1' });
    expect(inputProblems(query, 32)).toEqual([]);
    expect(inputProblems({ constructorName: 'x', value: 'constructor' }, 32)).toEqual([]);
  });

  it('lists at most 100 problems', () => {
    expect(
      inputProblems(
        Array.from({ length: 1000 }, () => '\u0000'),
        32,
      ),
    ).toHaveLength(100);
  });
});
