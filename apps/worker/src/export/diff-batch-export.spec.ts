import { diffRowOf } from './diff-batch-export';

describe('diffRowOf', () => {
  const row = (profile: string, change: 'entered' | 'exited' | 'changed' = 'entered', bucket = 'ups:s1') => ({
    bucket,
    change,
    namespace: 'Email',
    id: 'a@x',
    profile: Buffer.from(profile),
  });
  const text = (r: ReturnType<typeof diffRowOf>) => Buffer.concat([r.profileParts!.head, r.profileParts!.middle ?? Buffer.alloc(0), Buffer.from(r.profileParts!.tail)]).toString();

  it('appends _diff to the row as written, its bytes untouched', () => {
    const written = '{"identityMap":{"Email":[{"id":"a@x","primary":true}]},"name":"Zoë \\"q\\""}';
    const out = diffRowOf(row(written));
    expect(out).toMatchObject({ primaryNamespace: 'Email', primaryId: 'a@x' });
    expect(text(out)).toBe(`${written.slice(0, -1)},"_diff":{"change":"entered","bucket":"ups:s1"}}`);
    expect(JSON.parse(text(out))._diff).toEqual({ change: 'entered', bucket: 'ups:s1' });
  });

  it('quotes the bucket as JSON, and adds no comma to an empty object', () => {
    expect(JSON.parse(text(diffRowOf(row('{}', 'exited', 'ns"x:s\\1'))))).toEqual({ _diff: { change: 'exited', bucket: 'ns"x:s\\1' } });
  });
});
