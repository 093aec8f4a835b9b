import { formatCursor, hashClientSecret, parseCursor, verifyClientSecret } from './index';

describe('job cursor', () => {
  it('round-trips', () => {
    expect(parseCursor(formatCursor({ creationTimeMs: 1538573416687, id: 722 }))).toEqual({ creationTimeMs: 1538573416687, id: 722 });
  });
  it.each(['', 'abc', '1_', '_1', '1-2', '1_2_3', '12.5_3', '1_99999999999'])('rejects %p', (text) => {
    expect(parseCursor(text)).toBeUndefined();
  });
});

describe('client secret hashing', () => {
  it('verifies the right secret only', async () => {
    const stored = await hashClientSecret('s3cret');
    expect(stored).not.toContain('s3cret');
    await expect(verifyClientSecret('s3cret', stored)).resolves.toBe(true);
    await expect(verifyClientSecret('s3cret!', stored)).resolves.toBe(false);
    await expect(verifyClientSecret('s3cret', 'garbage')).resolves.toBe(false);
  });
});
