import { appendMembersToBytes, compileMembershipPicker, compileMembershipRestriction, spliceMembers, spliceMembersInBytes, storedMemberships, topLevelMember } from './index';

const without = (s: string, key: string) => spliceMembers(s, topLevelMember(s, key), '');

describe('topLevelMember', () => {
  it('finds a top-level member wherever it is and gives its value text', () => {
    for (const s of [
      '{"segmentMembership":{"ups":{"a":{"status":"realized"}}},"x":1}',
      '{"x":1,"segmentMembership":{"ups":{"a":{"status":"realized"}}},"y":[1,{"z":"}"}]}',
      '{"x":1,"segmentMembership":{"ups":{"a":{"status":"realized"}}}}',
      ' { "x" : 1 ,\n "segmentMembership" :\t{"ups":{"a":{"status":"realized"}}} } ',
    ]) {
      const span = topLevelMember(s, 'segmentMembership')!;
      expect(JSON.parse(s.slice(span.valueStart, span.valueEnd))).toEqual({ ups: { a: { status: 'realized' } } });
    }
  });

  it('ignores the key inside strings and nested objects', () => {
    const s = '{"note":"\\"segmentMembership\\":{}","nested":{"segmentMembership":{"ups":{}}},"list":[{"segmentMembership":1}]}';
    expect(topLevelMember(s, 'segmentMembership')).toBeUndefined();
    expect(without(s, 'segmentMembership')).toBe(s);
  });

  it('reads escaped keys and string values ending in backslashes as JSON.parse does', () => {
    const s = '{"a":"x\\\\","segment\\u004dembership":{"ups":{}},"b":"\\\\\\""}';
    const span = topLevelMember(s, 'segmentMembership')!;
    expect(s.slice(span.valueStart, span.valueEnd)).toBe('{"ups":{}}');
    expect(JSON.parse(without(s, 'segmentMembership'))).toEqual({ a: 'x\\', b: '\\"' });
  });

  it('takes the last of duplicated keys, as JSON.parse does', () => {
    const s = '{"k":1,"k":2}';
    const span = topLevelMember(s, 'k')!;
    expect(s.slice(span.valueStart, span.valueEnd)).toBe('2');
  });

  it('refuses text that is not an object', () => {
    expect(() => topLevelMember('[1]', 'k')).toThrow(SyntaxError);
    expect(() => topLevelMember('{"a":"open', 'k')).toThrow(SyntaxError);
    expect(() => topLevelMember('{"a":{"b":1}', 'k')).toThrow(SyntaxError);
  });
});

describe('spliceMembers', () => {
  it('removes a member with its comma, first, middle, last or only', () => {
    expect(without('{"m":1,"a":2}', 'm')).toBe('{"a":2}');
    expect(without('{"a":2,"m":{"x":[1]},"b":3}', 'm')).toBe('{"a":2,"b":3}');
    expect(without('{"a":2, "m" : 1 }', 'm')).toBe('{"a":2 }');
    expect(without('{"m":1}', 'm')).toBe('{}');
    expect(without('{"a":1}', 'm')).toBe('{"a":1}');
  });

  it('appends members before the closing brace, with a comma only when the object has members', () => {
    expect(spliceMembers('{"a":1}', undefined, '"b":2,"c":3')).toBe('{"a":1,"b":2,"c":3}');
    expect(spliceMembers('{ }', undefined, '"b":2')).toBe('{ "b":2}');
    const s = '{"m":{"ups":{}},"a":1}';
    expect(JSON.parse(spliceMembers(s, topLevelMember(s, 'm'), '"m":{"kept":true}'))).toEqual({ a: 1, m: { kept: true } });
    expect(JSON.parse(spliceMembers('{"m":1}', topLevelMember('{"m":1}', 'm'), '"n":2'))).toEqual({ n: 2 });
  });
});

describe('appendMembersToBytes', () => {
  const joined = (bytes: Buffer, members: string) => {
    const { head, tail } = appendMembersToBytes(bytes, members);
    return Buffer.concat([head, Buffer.from(tail)]).toString('utf8');
  };

  it('gives the bytes before the closing brace and the members after, as spliceMembers does on text', () => {
    for (const s of ['{"a":"Zoë"}', '{"a":1 }\n', '{ }', '{}']) {
      expect(joined(Buffer.from(s), '"b":[2]')).toBe(spliceMembers(s, undefined, '"b":[2]'));
    }
    expect(JSON.parse(joined(Buffer.from('{"a":"日本"}  '), '"b":2'))).toEqual({ a: '日本', b: 2 });
    expect(() => appendMembersToBytes(Buffer.from('[1]'), '"b":2')).toThrow(SyntaxError);
  });
});

describe('storedMemberships', () => {
  const membership = {
    ups: { a: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00Z' }, b: { status: 'exited' }, c: 'odd' },
    aam: { a: { status: 'existing' } },
    bad: ['x'],
  };
  const record = JSON.stringify({ person: { segmentMembership: 'not this one' }, segmentMembership: membership, tail: 1 });

  it('gives the listed entries, parsed, exactly as restricting the parsed membership does', () => {
    const cases = [
      [{ segmentNs: 'ups', segmentId: 'b' }],
      [{ segmentNs: 'ups', segmentId: 'a' }, { segmentNs: 'aam', segmentId: 'a' }, { segmentNs: 'ups', segmentId: 'c' }],
      [{ segmentNs: 'ups', segmentId: 'zz' }, { segmentNs: 'bad', segmentId: '0' }, { segmentNs: 'none', segmentId: 'a' }],
      [{ segmentNs: 'aam', segmentId: 'a' }, { segmentNs: 'ups', segmentId: 'a' }, { segmentNs: 'aam', segmentId: 'a' }],
    ];
    for (const segments of cases) {
      const { span, kept } = storedMemberships(record, segments);
      expect(record.slice(span!.valueStart, span!.valueEnd)).toBe(JSON.stringify(membership));
      const expected = compileMembershipRestriction(segments)(membership);
      expect(kept).toEqual(expected);
      expect(JSON.stringify(kept)).toBe(JSON.stringify(expected)); // same key order too
    }
  });

  it('finds nothing in a record without a segmentMembership object', () => {
    expect(storedMemberships('{"a":1}', [{ segmentNs: 'ups', segmentId: 'a' }])).toEqual({ span: undefined });
    expect(storedMemberships('{"segmentMembership":[1]}', [{ segmentNs: 'ups', segmentId: 'a' }]).kept).toBeUndefined();
  });
});

describe('storedMemberships against JSON.parse', () => {
  it('agrees on generated records: key order, whitespace, escapes, duplicates, odd values', () => {
    let seed = 7;
    // mulberry32: a small PRNG whose low bits are usable (rand(2) must not just alternate).
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const pick = <T,>(xs: T[]) => xs[rand(xs.length)];
    const ids = ['a', 'b', 'é', 'q"t', 'x\\y'];
    const entry = () => pick<unknown>([{ status: pick(['realized', 'exited']), lastQualificationTime: '2024-01-01T00:00:00Z' }, 'str', 3, null, [1, { a: '}' }]]);
    const obj = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, entry()]));
    for (let n = 0; n < 300; n++) {
      const membership = pick<unknown>([{ ups: obj(ids.filter(() => rand(2))), aam: obj(ids.filter(() => rand(2))) }, { ups: 'x' }, [], {}]);
      const record = { before: { segmentMembership: { ups: { a: 1 } }, name: 'Zoë 日本 🎉' }, segmentMembership: membership, after: ['"segmentMembership":{}', 'ü'] };
      let text = JSON.stringify(record, null, rand(2) ? 1 : undefined);
      if (rand(3) === 0) text = text.replace('{"ups"', '{"u\\u0070s"').replace('"segmentMembership":{"u', '"segment\\u004dembership":{"u');
      if (rand(4) === 0) text = text.replace(/}$/, ',"segmentMembership":{"ups":{"a":{"status":"realized"}}}}');
      const segments = ids.filter(() => rand(2)).map((segmentId) => ({ segmentNs: pick(['ups', 'aam', 'none']), segmentId }));
      const parsed = (JSON.parse(text) as { segmentMembership: unknown }).segmentMembership;
      const { span, kept } = storedMemberships(text, segments);
      expect(JSON.parse(text.slice(span!.valueStart, span!.valueEnd))).toEqual(parsed);
      expect(JSON.stringify(kept)).toBe(JSON.stringify(compileMembershipRestriction(segments)(parsed)));
      // The same from the record's UTF-8 bytes read as latin1, spliced as bytes.
      const bytes = Buffer.from(text, 'utf8');
      const fromBytes = compileMembershipPicker(segments)(bytes.toString('latin1'), (a, b) => bytes.toString('utf8', a, b));
      expect(JSON.stringify(fromBytes.kept)).toBe(JSON.stringify(kept));
      const members = `"identities":[],"segmentMembership":${JSON.stringify(kept ?? {})}`;
      const { head, tail } = spliceMembersInBytes(bytes, fromBytes.span, members);
      expect(Buffer.concat([head, Buffer.from(tail)]).toString('utf8')).toBe(spliceMembers(text, span, members));
    }
  });
});
