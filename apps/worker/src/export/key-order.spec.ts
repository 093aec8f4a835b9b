import { compareKeys } from './key-order';

describe('compareKeys (byte order, as COLLATE "C")', () => {
  it('orders like UTF-8 bytes', () => {
    const keys = ['b', 'a', 'ab', 'A', 'é', 'z', '\u{1F600}', '\uFFFD', ''];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareKeys)).toEqual(byBytes);
  });
});
