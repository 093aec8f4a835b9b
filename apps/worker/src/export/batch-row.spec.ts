import { BatchRow } from './batch-row';

describe('BatchRow', () => {
  const parts = { head: Buffer.from('{}'), tail: '' };

  it('splits the primary identity at its first colon, decoding the id only when asked', () => {
    const row = new BatchRow().set(Buffer.from('email:ann:x@ex.io'), parts);
    expect(row.primaryNamespace).toBe('email');
    expect(row.primaryId).toBe('ann:x@ex.io');
    expect(row.profileParts).toBe(parts);
  });

  it('follows each new namespace (the cache never answers a stale one) and keeps no view of the chunk', () => {
    const row = new BatchRow();
    const identities = ['ECID:1', 'Email:é2', 'ECIE:3', 'ECID:4'];
    const chunk = Buffer.from(identities.join(''));
    let at = 0;
    const seen = identities.map((i) => {
      const length = Buffer.byteLength(i);
      row.set(chunk.subarray(at, (at += length)), parts);
      return `${row.primaryNamespace}|${row.primaryId}`;
    });
    expect(seen).toEqual(['ECID|1', 'Email|é2', 'ECIE|3', 'ECID|4']);
    chunk.fill(0x78);
    row.set(Buffer.from('ECID:5'), parts);
    expect(row.primaryNamespace).toBe('ECID');
  });
});
