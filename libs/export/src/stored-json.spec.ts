import {
  type SplicedRecord,
  appendMembersToBytes,
  compileMembershipPicker,
  compileMembershipRestriction,
  parseTopLevelMembers,
  spliceMembersInBytes,
  spliceMembersInto,
  topLevelMember,
  ByteBuilder,
  wantedKey,
} from './index';

const bytes = (s: string) => Buffer.from(s, 'utf8');
const joined = ({ head, middle, tail }: SplicedRecord) => Buffer.concat([head, middle ?? new Uint8Array(0), bytes(tail)]).toString('utf8');
const member = (s: string, key: string) => topLevelMember(bytes(s), key);
const spliced = (s: string, key: string | undefined, members: string) => joined(spliceMembersInBytes(bytes(s), key ? member(s, key) : undefined, members));
const without = (s: string, key: string) => spliced(s, key, '');
const valueOf = (s: string, key: string) => {
  const span = member(s, key)!;
  return bytes(s).toString('utf8', span.valueStart, span.valueEnd);
};
const storedMemberships = (s: string, segments: Array<{ segmentNs: string; segmentId: string }>, keyStart?: number) => compileMembershipPicker(segments)(bytes(s), keyStart);

describe('topLevelMember', () => {
  it('finds a top-level member wherever it is and gives its value text', () => {
    for (const s of [
      '{"segmentMembership":{"ups":{"a":{"status":"realized"}}},"x":1}',
      '{"x":1,"segmentMembership":{"ups":{"a":{"status":"realized"}}},"y":[1,{"z":"}"}]}',
      '{"x":1,"segmentMembership":{"ups":{"a":{"status":"realized"}}}}',
      ' { "x" : 1 ,\n "segmentMembership" :\t{"ups":{"a":{"status":"realized"}}} } ',
    ]) {
      expect(JSON.parse(valueOf(s, 'segmentMembership'))).toEqual({ ups: { a: { status: 'realized' } } });
      expect(bytes(s).toString('utf8', member(s, 'segmentMembership')!.keyStart).startsWith('"segmentMembership"')).toBe(true);
    }
  });

  it('ignores the key inside strings and nested objects', () => {
    const s = '{"note":"\\"segmentMembership\\":{}","nested":{"segmentMembership":{"ups":{}}},"list":[{"segmentMembership":1}]}';
    expect(member(s, 'segmentMembership')).toBeUndefined();
    expect(without(s, 'segmentMembership')).toBe(s);
  });

  it('reads escaped keys and string values ending in backslashes as JSON.parse does', () => {
    const s = '{"a":"x\\\\","segment\\u004dembership":{"ups":{}},"b":"\\\\\\""}';
    expect(valueOf(s, 'segmentMembership')).toBe('{"ups":{}}');
    expect(JSON.parse(without(s, 'segmentMembership'))).toEqual({ a: 'x\\', b: '\\"' });
  });

  it('takes the last of duplicated keys, as JSON.parse does', () => {
    const s = '{"k":1,"k":2}';
    expect(valueOf(s, 'k')).toBe('2');
  });

  it('refuses text that is not an object', () => {
    expect(() => member('[1]', 'k')).toThrow(SyntaxError);
    expect(() => member('{"a":"open', 'k')).toThrow(SyntaxError);
    expect(() => member('{"a":{"b":1}', 'k')).toThrow(SyntaxError);
    expect(() => member('{"a":1 "b":2}', 'k')).toThrow(SyntaxError);
  });
});

describe('parseTopLevelMembers', () => {
  const keys = ['identityMap', 'segmentMembership', 'k\u00e9'].map(wantedKey);
  it('gives what JSON.parse gives for those members, and undefined where absent', () => {
    for (const s of [
      '{"identityMap":{"Email":[{"id":"a"}]},"x":{"identityMap":1},"segmentMembership":{"ups":{}}}',
      ' {\n "x" : [1, "}", {"y": "\\"q"}] , "identityMap" : {"E":[{"id":"\\u00e9"}]} } \n',
      '{"identityMap":1,"identityMap":{"last":true}}',
      '{"k\\u00e9":3,"kÃ©":4,"kï¿½":5}',
      '{"x":"identityMap"}',
      '{"k\u00e9":7}',
      '{}',
    ]) {
      const parsed = JSON.parse(s) as Record<string, unknown>;
      expect([s, parseTopLevelMembers(bytes(s), keys)]).toEqual([s, [parsed.identityMap, parsed.segmentMembership, parsed['k\u00e9']]]);
    }
  });

  it('throws a SyntaxError for what is not one JSON object', () => {
    for (const s of ['null', '[1]', '"x"', '{"a":', '{"a":1} {"b":2}', '{"a":1}x', '']) expect(() => parseTopLevelMembers(bytes(s), keys)).toThrow(SyntaxError);
  });
});

describe('spliceMembersInBytes', () => {
  it('removes a member with its comma, first, middle, last or only', () => {
    expect(without('{"m":1,"a":2}', 'm')).toBe('{"a":2}');
    expect(without('{"a":2,"m":{"x":[1]},"b":3}', 'm')).toBe('{"a":2,"b":3}');
    expect(without('{"a":2, "m" : 1 }', 'm')).toBe('{"a":2 }');
    expect(without('{"m":1}', 'm')).toBe('{}');
    expect(without('{"a":1}', 'm')).toBe('{"a":1}');
  });

  it('appends members before the closing brace, with a comma only when the object has members', () => {
    expect(spliced('{"a":1}', undefined, '"b":2,"c":3')).toBe('{"a":1,"b":2,"c":3}');
    expect(spliced('{ }', undefined, '"b":2')).toBe('{ "b":2}');
    expect(spliced('{"m":{"ups":{}},"a":"é"}', 'm', '"m":{"kept":true}')).toBe('{"a":"é","m":{"kept":true}}');
    expect(spliced('{"a":"日本","m":{"x":1}, "b":2 }', 'm', '"m":3')).toBe('{"a":"日本","b":2 ,"m":3}');
    expect(spliced('{"a":1,"m":{"x":1} }', 'm', '"n":2')).toBe('{"a":1 ,"n":2}');
    expect(spliced('{"m":1}', 'm', '"n":2')).toBe('{"n":2}');
  });

  it('gives views of the stored bytes, not copies', () => {
    const b = bytes('{"a":1,"m":2,"b":3}');
    const parts = spliceMembersInBytes(b, topLevelMember(b, 'm'), '"c":4');
    expect(parts.head.buffer).toBe(b.buffer);
    expect(parts.middle!.buffer).toBe(b.buffer);
    expect(joined(parts)).toBe('{"a":1,"b":3,"c":4}');
  });
});

describe('spliceMembersInto', () => {
  const cases: Array<[string, string | undefined, string]> = [
    ['{"a":1}', undefined, '"b":2,"c":3'],
    ['{ }', undefined, '"b":2'],
    ['{}', undefined, '"b":[1]'],
    ['{"m":{"ups":{}},"a":"é"}', 'm', '"m":{"kept":true}'],
    ['{"a":"日本","m":{"x":1}, "b":2 }', 'm', '"m":3'],
    ['{"a":1,"m":{"x":1} }', 'm', '"n":2'],
    ['{"m":1}', 'm', '"n":2'],
    ['  {"a":{"}":"}"}}  ', undefined, '"i":[]'],
    ['{"a":1}\n', undefined, '"i":[]'],
    ['{"a":1} \t', 'a', '"i":[]'],
  ];
  it.each(cases)('%s: byte for byte what spliceMembersInBytes writes, its members written as bytes', (text, key, members) => {
    const out = new ByteBuilder(4); // grown on the way
    const written = spliceMembersInto(bytes(text), key ? member(text, key) : undefined, out, (o) => o.bytes(bytes(members)));
    expect(Buffer.concat([written.head, written.middle]).toString('utf8')).toBe(spliced(text, key, members));
  });

  it('refuses what is not an object', () => {
    expect(() => spliceMembersInto(bytes('[1]'), undefined, new ByteBuilder(), () => undefined)).toThrow(SyntaxError);
  });
});

describe('appendMembersToBytes', () => {
  it('gives the bytes before the closing brace and the members after', () => {
    const appended = (s: string, members: string) => joined(appendMembersToBytes(bytes(s), members));
    expect(appended('{"a":"Zoë"}', '"b":[2]')).toBe('{"a":"Zoë","b":[2]}');
    expect(appended('{"a":1 }\n', '"b":[2]')).toBe('{"a":1 ,"b":[2]}');
    expect(appended('{ }', '"b":[2]')).toBe('{ "b":[2]}');
    expect(appended('{}', '"b":[2]')).toBe('{"b":[2]}');
    expect(JSON.parse(appended('{"a":"日本"}  ', '"b":2'))).toEqual({ a: '日本', b: 2 });
    expect(() => appendMembersToBytes(bytes('[1]'), '"b":2')).toThrow(SyntaxError);
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
      [
        { segmentNs: 'ups', segmentId: 'a' },
        { segmentNs: 'aam', segmentId: 'a' },
        { segmentNs: 'ups', segmentId: 'c' },
      ],
      [
        { segmentNs: 'ups', segmentId: 'zz' },
        { segmentNs: 'bad', segmentId: '0' },
        { segmentNs: 'none', segmentId: 'a' },
      ],
      [
        { segmentNs: 'aam', segmentId: 'a' },
        { segmentNs: 'ups', segmentId: 'a' },
        { segmentNs: 'aam', segmentId: 'a' },
      ],
    ];
    const keyStart = member(record, 'segmentMembership')!.keyStart;
    for (const segments of cases) {
      const { span, kept } = storedMemberships(record, segments);
      expect(bytes(record).toString('utf8', span!.valueStart, span!.valueEnd)).toBe(JSON.stringify(membership));
      // From where ingest found the key: the same, without scanning the rest.
      expect(storedMemberships(record, segments, keyStart)).toEqual({ span, kept });
      const expected = compileMembershipRestriction(segments)(membership);
      expect(kept).toEqual(expected);
      expect(JSON.stringify(kept)).toBe(JSON.stringify(expected)); // same key order too
    }
  });

  it('keeps namespaces in the order first listed, whichever entries are found (as the restriction does)', () => {
    const record = '{"segmentMembership":{"ups":{"a":1},"aam":{"a":2}}}';
    const segments = [
      { segmentNs: 'ups', segmentId: 'x' },
      { segmentNs: 'aam', segmentId: 'a' },
      { segmentNs: 'ups', segmentId: 'a' },
    ];
    expect(JSON.stringify(storedMemberships(record, segments).kept)).toBe('{"ups":{"a":1},"aam":{"a":2}}');
  });

  it('matches a key holding a lone surrogate only through its escape', () => {
    const segments = [{ segmentNs: 'ups', segmentId: '\ud800' }];
    expect(storedMemberships('{"segmentMembership":{"ups":{"\uFFFD":1}}}', segments).kept).toBeUndefined();
    expect(storedMemberships('{"segmentMembership":{"ups":{"\\ud800":1}}}', segments).kept).toEqual({ ups: { '\ud800': 1 } });
  });

  it('finds nothing in a record without a segmentMembership object', () => {
    expect(storedMemberships('{"a":1}', [{ segmentNs: 'ups', segmentId: 'a' }])).toEqual({});
    expect(storedMemberships('{"segmentMembership":{"ups":{"a":{}}}}', [{ segmentNs: 'ups', segmentId: 'a' }], -1)).toEqual({});
    expect(storedMemberships('{"segmentMembership":[1]}', [{ segmentNs: 'ups', segmentId: 'a' }]).kept).toBeUndefined();
  });

  it('scans the whole record when the offset given is not where the key is', () => {
    const record = '{"x":"segmentMembership","segmentMembership":{"ups":{"a":{"status":"realized"}}},"y":"segmentMembership"}';
    const segments = [{ segmentNs: 'ups', segmentId: 'a' }];
    const expected = storedMemberships(record, segments);
    expect(expected.kept).toEqual({ ups: { a: { status: 'realized' } } });
    for (const wrong of [0, 1, 5, record.lastIndexOf('"'), record.lastIndexOf('"segmentMembership"'), record.length + 3])
      expect(storedMemberships(record, segments, wrong)).toEqual(expected);
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
    const pick = <T>(xs: T[]) => xs[rand(xs.length)];
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
      const b = bytes(text);
      const { span, kept } = storedMemberships(text, segments);
      expect(JSON.parse(b.toString('utf8', span!.valueStart, span!.valueEnd))).toEqual(parsed);
      expect(JSON.stringify(kept)).toBe(JSON.stringify(compileMembershipRestriction(segments)(parsed)));
      // From the offset ingest records: the same answer.
      expect(storedMemberships(text, segments, topLevelMember(b, 'segmentMembership')!.keyStart)).toEqual({ span, kept });
      // Spliced: the record as JSON.parse reads it, its membership replaced by the kept entries.
      const members = `"identities":[],"segmentMembership":${JSON.stringify(kept ?? {})}`;
      const expected = JSON.parse(text) as Record<string, unknown>;
      delete expected.segmentMembership;
      Object.assign(expected, { identities: [], segmentMembership: kept ?? {} });
      expect(JSON.parse(joined(spliceMembersInBytes(b, span, members)))).toEqual(expected);
    }
  });
});
