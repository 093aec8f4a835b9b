import { compileCsvRecord, csvCell, csvField, csvHeader, fieldColumns } from './index';

describe('csvField (RFC 4180 quoting)', () => {
  it.each([
    ['plain', 'plain'],
    ['with space ', 'with space '],
    ['say "hi"', '"say ""hi"""'],
    ['"', '""""'],
    ['a,b', '"a,b"'],
    ['line\nbreak', '"line\nbreak"'],
    ['carriage\rreturn', '"carriage\rreturn"'],
    ['crlf\r\nend', '"crlf\r\nend"'],
    ['Zoë 日本語 🎉', 'Zoë 日本語 🎉'],
    ['', '""'],
  ])('%j → %j', (text, field) => {
    expect(csvField(text)).toBe(field);
  });
});

describe('csvCell', () => {
  it('writes numbers and booleans as their JSON text, null and missing as an empty field', () => {
    expect([1, -0.5, 1e21, 10, true, false, null, undefined].map(csvCell)).toEqual(['1', '-0.5', '1e+21', '10', 'true', 'false', '', '']);
  });

  it('writes an object or an array as its JSON text, quoted', () => {
    expect(csvCell({ city: 'Paris', zip: 75001 })).toBe('"{""city"":""Paris"",""zip"":75001}"');
    expect(csvCell([1, 2])).toBe('"[1,2]"');
    expect(csvCell({})).toBe('{}');
  });
});

describe('compileCsvRecord', () => {
  const columns = fieldColumns('person.name.firstName,person.name,loyalty.points,loyalty.member,note,empty,missing.deep,subscriptions.channel,tags');
  const record = compileCsvRecord(columns);

  it('has a header of the paths', () => {
    expect(csvHeader(columns)).toBe('person.name.firstName,person.name,loyalty.points,loyalty.member,note,empty,missing.deep,subscriptions.channel,tags\r\n');
    expect(csvHeader(fieldColumns('a,b "c",d'))).toBe('a,"b ""c""",d\r\n');
  });

  it('writes one field per column, CRLF ended', () => {
    const row = {
      person: { name: { firstName: 'Ann, "Jr"', lastName: 'Lee' } },
      loyalty: { points: 12.5, member: false },
      note: 'two\r\nlines',
      empty: '',
      subscriptions: [{ channel: 'email', optIn: true }, { optIn: false }, 'junk'],
      tags: ['a', 'b'],
    };
    expect(record(row)).toBe(
      '"Ann, ""Jr""","{""firstName"":""Ann, \\""Jr\\"""",""lastName"":""Lee""}",12.5,false,"two\r\nlines","",,"[{""channel"":""email""},{}]","[""a"",""b""]"\r\n',
    );
  });

  it('leaves missing paths, nulls and paths through scalars empty', () => {
    expect(record({ person: 'scalar', loyalty: null, note: null, missing: { deep: null } })).toBe(',,,,,,,,\r\n');
    expect(record({})).toBe(',,,,,,,,\r\n');
  });

  it('reads only own keys (no inherited toString, an own __proto__ is a key)', () => {
    const one = compileCsvRecord(fieldColumns('toString,__proto__.x'));
    expect(one(JSON.parse('{"__proto__":{"x":"own"}}'))).toBe(',own\r\n');
  });
});
