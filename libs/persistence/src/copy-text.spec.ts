import { COPY_NULL, copyField, copyTextArray, membershipFields } from './copy-text';

describe('COPY text encoding', () => {
  it('escapes the characters COPY treats specially', () => {
    expect(copyField('{"a":"x\\"y"}')).toBe('{"a":"x\\\\"y"}');
    expect(copyField('a\tb\nc\rd')).toBe('a\\tb\\nc\\rd');
    expect(copyField('plain')).toBe('plain');
  });

  it('writes arrays with quoted, escaped elements', () => {
    expect(copyTextArray(['Email:a@x.io', 'X:we"ird\\'])).toBe('{"Email:a@x.io","X:we\\\\"ird\\\\\\\\"}');
  });

  it('writes an undefined array element as NULL', () => {
    expect(copyTextArray(['a', undefined])).toBe('{"a",NULL}');
  });

  it('writes memberships as four parallel array fields, or four NULLs', () => {
    const fields = membershipFields([
      { namespace: 'ups', segmentId: 's1', status: 'realized', lastQualificationTime: '2024-05-01T10:00:00Z' },
      { namespace: 'u\tps', segmentId: 's"2', status: 'exited' },
    ]);
    expect(fields.split('\t')).toEqual(['{"ups","u\\tps"}', '{"s1","s\\\\"2"}', '{"realized","exited"}', '{"2024-05-01T10:00:00Z",NULL}']);
    expect(membershipFields(undefined)).toBe([COPY_NULL, COPY_NULL, COPY_NULL, COPY_NULL].join('\t'));
    expect(membershipFields([])).toBe(membershipFields(undefined));
  });
});
