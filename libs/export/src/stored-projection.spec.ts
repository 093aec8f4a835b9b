import { ByteBuilder, compileMembershipPicker, compileMergeInputProjection, compileProjection, compileStoredProjection, mergeProfile, topLevelMember } from './index';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const out = new ByteBuilder(16);

/** The row the full path writes: parse, merge (one fragment), project, stringify. */
function viaMerge(text: string, fields: string, segments?: Array<{ segmentNs: string; segmentId: string }>): string {
  const merged = mergeProfile([{ record: JSON.parse(text), datasetId: 'd', recordTime: 1, ingestTime: 1 }], { attributeMerge: 'timestampOrdered' });
  return JSON.stringify(compileProjection(fields, segments)(merged.record));
}

/** The fast path's row, parsed and written again so that both sides compare as JSON text (key order included). */
function viaBytes(text: string, fields: string, segments?: Array<{ segmentNs: string; segmentId: string }>): string {
  const merged = mergeProfile([{ record: JSON.parse(text), datasetId: 'd', recordTime: 1, ingestTime: 1 }], { attributeMerge: 'timestampOrdered' });
  const b = bytes(text);
  const picked = segments ? compileMembershipPicker(segments)(b, topLevelMember(b, 'segmentMembership')?.keyStart ?? -1) : undefined;
  const row = compileStoredProjection(fields)(b, { identitiesJson: JSON.stringify(merged.record.identities), picked }, out).toString('utf8');
  return JSON.stringify(JSON.parse(row));
}

const record = JSON.stringify({
  person: { name: { firstName: 'Ada', lastName: 'L' }, gender: 'f' },
  personalEmail: { address: 'ada@example.com', status: 'active' },
  interests: [{ name: 'chess', score: 1 }, 'loose', { score: 2 }, [{ name: 'nested' }], null],
  identityMap: { email: [{ id: 'ada@example.com', primary: true }], ecid: [{ id: '123' }] },
  segmentMembership: { ups: { s1: { status: 'realized' }, s2: { status: 'exited' } }, other: { s9: { status: 'realized' } } },
  n: 1.5,
});

describe('compileStoredProjection', () => {
  it.each([
    'person.name.firstName,personalEmail.address',
    'personalEmail.address,person.name.firstName',
    'person',
    'person.name,person.name.firstName',
    'interests.name',
    'interests',
    'interests.name.deeper',
    'missing,person.missing,n.below',
    'identities',
    'identities.id,identities.namespace.code',
    'identityMap.email,segmentMembership.ups',
    'n,,  person . gender ',
  ])('writes the merged projection of %s', (fields) => {
    expect(viaBytes(record, fields)).toBe(viaMerge(record, fields));
    expect(viaBytes(record, fields, [{ segmentNs: 'ups', segmentId: 's2' }])).toBe(viaMerge(record, fields, [{ segmentNs: 'ups', segmentId: 's2' }]));
    expect(viaBytes(record, fields, [{ segmentNs: 'ups', segmentId: 'none' }])).toBe(viaMerge(record, fields, [{ segmentNs: 'ups', segmentId: 'none' }]));
  });

  it('takes the last of duplicated keys, at the place fields gives it', () => {
    const text = '{"a":{"x":1},"b":2,"a":{"x":3,"y":4},"identityMap":{"e":[{"id":"1"}]},"b":5}';
    expect(viaBytes(text, 'b,a.x')).toBe('{"b":5,"a":{"x":3},"identityMap":{"e":[{"id":"1"}]}}');
    expect(viaBytes(text, 'b,a.x')).toBe(viaMerge(text, 'b,a.x'));
  });

  it('reads escaped keys, whitespace and strings with brackets and quotes', () => {
    const text = ' { "p\\u0065rson" : { "name" : "a}\\"]," } ,\n "q":[ {"r":"[{"} , 3 ] , "identityMap":{"e":[{"id":"1"}]} } ';
    for (const fields of ['person.name', 'q.r', 'person,q']) expect(viaBytes(text, fields)).toBe(viaMerge(text, fields));
  });

  it('keeps values as stored, an own __proto__ key included', () => {
    const text = '{"__proto__":{"x":1},"v":1.0,"identityMap":{"e":[{"id":"1"}]}}';
    expect(compileStoredProjection('v,__proto__.x')(bytes(text), { identitiesJson: '[]' }, out).toString()).toBe('{"v":1.0,"__proto__":{"x":1},"identityMap":{"e":[{"id":"1"}]}}');
    expect(viaBytes(text, '__proto__')).toBe(viaMerge(text, '__proto__'));
  });

  it('refuses bytes that are not a JSON object', () => {
    const project = compileStoredProjection('a');
    for (const text of ['[1]', '{"a":[1,}', '{"a":1', '{"a":[{"b":1]}']) expect(() => project(bytes(text), { identitiesJson: '[]' }, out)).toThrow(SyntaxError);
  });

  it('agrees with the merged projection on generated records', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const KEYS = ['a', 'b', 'c', 'identities', 'segmentMembership', '__proto__', 'é'];
    const value = (depth: number): string => {
      const r = rand(depth > 2 ? 4 : 7);
      if (r === 0) return String(rand(100) / 4);
      if (r === 1) return JSON.stringify(`s${rand(9)}"\\}`);
      if (r === 2) return 'null';
      if (r === 3) return 'true';
      if (r === 4) return `[${Array.from({ length: rand(4) }, () => value(depth + 1)).join(' , ')}]`;
      return object(depth + 1, KEYS.slice(0, 3));
    };
    const object = (depth: number, keys: string[]): string => `{${Array.from({ length: rand(5) }, () => `${JSON.stringify(keys[rand(keys.length)])}:${value(depth)}`).join(',')}}`;
    const paths = ['a', 'b', 'c', 'a.b', 'b.c.a', 'c.a', 'identities.id', 'é', 'a.a.a'];
    for (let i = 0; i < 400; i++) {
      const members = Array.from({ length: rand(6) }, () => `${JSON.stringify(['a', 'b', 'c', 'é', '__proto__'][rand(5)])}:${value(0)}`);
      members.splice(rand(members.length + 1), 0, '"identityMap":{"e":[{"id":"x","primary":true}]}');
      if (rand(2)) members.push('"segmentMembership":{"ups":{"s":{"status":"realized"},"t":{"status":"exited"}}}');
      const text = `{${members.join(',')}}`;
      const fields = Array.from({ length: 1 + rand(3) }, () => paths[rand(paths.length)]).join(',');
      expect([text, fields, viaBytes(text, fields)]).toEqual([text, fields, viaMerge(text, fields)]);
      const segments = [{ segmentNs: 'ups', segmentId: 't' }];
      expect([text, fields, viaBytes(text, fields, segments)]).toEqual([text, fields, viaMerge(text, fields, segments)]);
    }
  });
});

/** Random records (duplicate keys, nested arrays, escapes, `__proto__`) and field selections over their keys. */
function generator(seed: number) {
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const KEYS = ['a', 'b', 'c'];
  const value = (depth: number): string => {
    const r = rand(depth > 2 ? 4 : 7);
    if (r === 0) return String(rand(100) / 4);
    if (r === 1) return JSON.stringify(`s${rand(9)}"\\}`);
    if (r === 2) return 'null';
    if (r === 3) return 'true';
    if (r === 4) return `[${Array.from({ length: rand(4) }, () => value(depth + 1)).join(' , ')}]`;
    return `{${Array.from({ length: rand(5) }, () => `${JSON.stringify(KEYS[rand(KEYS.length)])}:${value(depth + 1)}`).join(',')}}`;
  };
  const paths = ['a', 'b', 'c', 'a.b', 'b.c.a', 'c.a', 'identities.id', 'é', 'a.a.a', 'identities'];
  const segments = ['s', 't', 'u'];
  const record = (): string => {
    const members = Array.from({ length: rand(6) }, () => `${JSON.stringify(['a', 'b', 'c', 'é', '__proto__'][rand(5)])}:${value(0)}`);
    const ids = ['x', 'y', 'z'].filter(() => rand(2));
    members.splice(rand(members.length + 1), 0, `"identityMap":{"e":[${['w', ...ids].map((id) => `{"id":"${id}"}`).join(',')}]}`);
    const entry = () => `{"status":"${['realized', 'exited'][rand(2)]}","lastQualificationTime":"2026-0${1 + rand(9)}-01T00:00:00Z"}`;
    if (rand(3))
      members.push(
        `"segmentMembership":{"ups":{${segments
          .filter(() => rand(2))
          .map((id) => `"${id}":${entry()}`)
          .join(',')}}}`,
      );
    return `{${members.join(',')}}`;
  };
  const fields = () => Array.from({ length: 1 + rand(3) }, () => paths[rand(paths.length)]).join(',');
  return { record, fields, rand };
}

describe('compileMergeInputProjection', () => {
  const fragmentsOf = (texts: string[], parse: (t: string, i: number) => Record<string, unknown>) =>
    texts.map((t, i) => ({ record: parse(t, i), datasetId: `d${i % 2}`, recordTime: 1000 * (i % 2), ingestTime: 1000 + i }));
  const policies = [{ attributeMerge: 'timestampOrdered' as const }, { attributeMerge: 'dataSetPrecedence' as const, order: ['d1', 'd0'] }];

  it('cut records merge and project to the row the whole records give', () => {
    const { record, fields: someFields, rand } = generator(11);
    for (let i = 0; i < 400; i++) {
      const texts = Array.from({ length: 2 + rand(2) }, record);
      const fields = someFields();
      const policy = policies[rand(2)];
      const segments = rand(2) ? [{ segmentNs: 'ups', segmentId: 't' }] : undefined;
      const project = compileProjection(fields, segments);
      const whole = project(
        mergeProfile(
          fragmentsOf(texts, (t) => JSON.parse(t)),
          policy,
        ).record,
      );
      const cut = compileMergeInputProjection(fields, !segments);
      const pick = segments && compileMembershipPicker(segments);
      const parseCut = (t: string) => {
        const r = JSON.parse(cut(bytes(t), out).toString('utf8')) as Record<string, unknown>;
        const kept = pick?.(bytes(t)).kept;
        if (kept) r.segmentMembership = kept;
        return r;
      };
      const fromCut = project(mergeProfile(fragmentsOf(texts, parseCut), policy).record);
      expect([texts, fields, JSON.stringify(fromCut)]).toEqual([texts, fields, JSON.stringify(whole)]);
    }
  });

  it('keeps a leaf where the path goes on, and an object with nothing selected under it', () => {
    const cut = (fields: string, text: string) => compileMergeInputProjection(fields, true)(bytes(text), out).toString('utf8');
    expect(cut('a.b', '{"a":5,"identityMap":{}}')).toBe('{"a":5,"identityMap":{}}');
    expect(cut('a.b', '{"a":[{"c":1}],"x":2}')).toBe('{"a":[{"c":1}]}');
    expect(cut('a.b', '{"a":{"c":1}}')).toBe('{"a":{}}');
    expect(cut('a.b,identities', '{"identities":[1],"segmentMembership":{"u":{}},"a":{"b":{"d":1},"c":2}}')).toBe('{"a":{"b":{"d":1}},"segmentMembership":{"u":{}}}');
  });
});
