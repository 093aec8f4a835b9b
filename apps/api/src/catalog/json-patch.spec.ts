import { ValidationFailed } from '@sx/domain';
import { refused } from '../../../../test/support/refused';
import { applyJsonPatch, parsePointer } from './json-patch';

describe('JSON Patch (RFC 6902) for dataset PATCH', () => {
  const doc = { name: 'crm', tags: { a: ['1'] }, list: [1, 2] };

  it("applies AEP's example: add /tags/unifiedProfile", () => {
    const out = applyJsonPatch(doc, [{ op: 'add', path: '/tags/unifiedProfile', value: ['enabled:true'] }]);
    expect(out).toEqual({ name: 'crm', tags: { a: ['1'], unifiedProfile: ['enabled:true'] }, list: [1, 2] });
    expect(doc.tags).toEqual({ a: ['1'] }); // the input is not changed
  });

  it('add, remove, replace, move, copy, test; arrays by index and -', () => {
    const out = applyJsonPatch(doc, [
      { op: 'replace', path: '/name', value: 'CRM' },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'remove', path: '/list/1' },
      { op: 'copy', from: '/name', path: '/description' },
      { op: 'move', from: '/tags/a', path: '/tags/b' },
      { op: 'test', path: '/tags/b', value: ['1'] },
    ]);
    expect(out).toEqual({ name: 'CRM', tags: { b: ['1'] }, list: [0, 2, 3], description: 'CRM' });
    expect(Object.keys(out as object)).toEqual(['name', 'tags', 'list', 'description']); // replace keeps key order
  });

  it('takes a single operation object as well as an array', () => {
    expect(applyJsonPatch(doc, { op: 'replace', path: '/name', value: 'x' })).toMatchObject({ name: 'x' });
  });

  it('unescapes ~1 and ~0 in pointers', () => {
    expect(parsePointer('/a~1b/c~0d', 'p')).toEqual(['a/b', 'c~d']);
  });

  it.each([
    [[{ op: 'jump', path: '/name' }], '[0].op'],
    [[{ op: 'add', path: 'name', value: 1 }], '[0].path'],
    [[{ op: 'add', path: '/name' }], '[0].value'],
    [[{ op: 'remove', path: '/nothing' }], '[0].path'],
    [[{ op: 'replace', path: '/nothing/deeper', value: 1 }], '[0].path'],
    [[{ op: 'add', path: '/list/9', value: 1 }], '[0].path'],
    [[{ op: 'test', path: '/name', value: 'other' }], '[0].path'],
    [[{ op: 'move', path: '/x' }], '[0].from'],
    [[{ op: 'add', path: '/x', value: 1, extra: true }], '[0].extra'],
    [['add'], '[0]'],
  ])('refuses %j naming %s', (patch, path) => {
    expect(refused(() => applyJsonPatch(doc, patch))).toEqual([path]);
  });

  it('lets the caller refuse a path (read-only fields)', () => {
    const guard = (tokens: string[], at: string) => {
      if (tokens[0] === 'created') throw new ValidationFailed([{ path: at, message: 'read-only' }]);
    };
    expect(refused(() => applyJsonPatch(doc, [{ op: 'add', path: '/created', value: 1 }], guard))).toEqual(['[0].path']);
  });
});
