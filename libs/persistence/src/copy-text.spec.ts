import { copyField, copyTextArray } from './copy-text';

describe('COPY text encoding', () => {
  it('escapes the characters COPY treats specially', () => {
    expect(copyField('{"a":"x\\"y"}')).toBe('{"a":"x\\\\"y"}');
    expect(copyField('a\tb\nc\rd')).toBe('a\\tb\\nc\\rd');
    expect(copyField('plain')).toBe('plain');
  });

  it('writes arrays with quoted, escaped elements', () => {
    expect(copyTextArray(['Email:a@x.io', 'X:we"ird\\'])).toBe('{"Email:a@x.io","X:we\\\\"ird\\\\\\\\"}');
  });
});
