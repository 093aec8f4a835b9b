import { parseQueryBoolean, toBoolean } from './query-boolean';

describe('boolean query values', () => {
  it.each([
    ['true', true],
    ['false', false],
    ['True', true], // Python's str(True), as aepp's requests sends ?requestDataSource=False
    ['False', false],
    ['FALSE', false],
  ])('%s is %s', (text, expected) => {
    expect(parseQueryBoolean(text)).toBe(expected);
    expect(toBoolean({ value: text })).toBe(expected);
  });

  it.each(['', 'yes', '1', 'truee', ' true'])('%j is not a boolean (left for the validator to refuse)', (text) => {
    expect(parseQueryBoolean(text)).toBeUndefined();
    expect(toBoolean({ value: text })).toBe(text);
  });

  it('a repeated parameter (an array) is not a boolean', () => {
    expect(parseQueryBoolean(['true', 'false'])).toBeUndefined();
  });
});
