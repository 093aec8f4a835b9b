import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { MalformedFile, RawRecord, eventFacts, profileFacts, readRecords } from './index';

async function collect(input: string | Buffer, chunkSize = 7): Promise<RawRecord[]> {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunkSize) chunks.push(buf.subarray(i, i + chunkSize));
  const out: RawRecord[] = [];
  for await (const r of readRecords(Readable.from(chunks))) out.push(r);
  return out;
}

describe('readRecords', () => {
  it('reads JSON Lines with line numbers, skipping blank lines and CRLF', async () => {
    const records = await collect('{"a":1}\r\n\n{"b":"x\\ny"}\n  \n{"c":[1,2]}');
    expect(records).toEqual([
      { text: '{"a":1}', line: 1 },
      { text: '{"b":"x\\ny"}', line: 3 },
      { text: '{"c":[1,2]}', line: 5 },
    ]);
  });

  it('reads a JSON array whose elements span chunks, with tricky strings', async () => {
    const text = '[\n {"a":"]},[","b":{"c":[1,{"d":"\\"}"}]}},\n {"e":2} ,\n 3, "s,t", null\n]\n';
    const records = await collect(text, 3);
    expect(records.map((r) => JSON.parse(r.text))).toEqual([{ a: ']},[', b: { c: [1, { d: '"}' }] } }, { e: 2 }, 3, 's,t', null]);
    expect(records.map((r) => r.line)).toEqual([2, 3, 4, 4, 4]);
  });

  it('reads gzip, and a UTF-8 byte order mark', async () => {
    const records = await collect(gzipSync(Buffer.from('\ufeff{"a":"é"}\n{"b":2}\n')), 5);
    expect(records.map((r) => JSON.parse(r.text))).toEqual([{ a: 'é' }, { b: 2 }]);
  });

  it('rejects an unclosed array and trailing text', async () => {
    await expect(collect('[{"a":1},')).rejects.toBeInstanceOf(MalformedFile);
    await expect(collect('[{"a":1}] x')).rejects.toThrow(/after the end/);
  });

  it('yields nothing for an empty file', async () => {
    expect(await collect('')).toEqual([]);
    expect(await collect('  \n')).toEqual([]);
  });
});

describe('profileFacts', () => {
  it('takes the primary-flagged identity, else the first', () => {
    const r = profileFacts({ identityMap: { ECID: [{ id: 'e1' }], Email: [{ id: 'a@x.io', primary: true }] } });
    expect(r).toEqual({
      ok: true,
      value: {
        primaryIdentity: 'Email:a@x.io',
        identities: ['ECID:e1', 'Email:a@x.io'],
        identitiesJson: JSON.stringify([{ id: 'e1', namespace: { code: 'ECID' }, primary: false }, { id: 'a@x.io', namespace: { code: 'Email' }, primary: true }]),
        lastUpdated: undefined,
      },
    });
    // A record with identities of its own gets none stored: an export merges it (the derived list replaces its own).
    const own = profileFacts({ identityMap: { ECID: [{ id: 'e1' }] }, identities: [{ id: 'stale' }] });
    expect(own.ok && own.value).toEqual({ primaryIdentity: 'ECID:e1', identities: ['ECID:e1'], lastUpdated: undefined });
    const first = profileFacts({ identityMap: { ECID: [{ id: 'e1' }, { id: 'e2' }] } });
    expect(first.ok && first.value.primaryIdentity).toBe('ECID:e1');
  });

  it.each([
    [[1], 'not a JSON object'],
    [{}, 'identityMap is missing'],
    [{ identityMap: {} }, 'no identity'],
    [{ identityMap: { Email: {} } }, 'not an array'],
    [{ identityMap: { Email: [{ id: '' }] } }, 'non-empty string'],
    [{ identityMap: { Email: [{ id: 'a' }] }, segmentMembership: { ups: { s1: { status: 'gone' } } } }, 'realized, existing or exited'],
    [{ identityMap: { Email: [{ id: 'a' }] }, segmentMembership: { ups: { s1: { status: 'realized', lastQualificationTime: 'yesterday' } } } }, 'ISO 8601'],
    [{ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: 5 } }, 'ISO 8601'],
    [{ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: '2024-02-30T00:00:00Z' } }, 'ISO 8601'],
    [{ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: '0000-01-01T00:00:00Z' } }, 'ISO 8601'],
  ])('refuses %j (%s)', (record, reason) => {
    const r = profileFacts(record);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('accepts a leap day', () => {
    expect(profileFacts({ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: '2024-02-29T10:00:00Z' } }).ok).toBe(true);
  });

  it('reads lastUpdatedDate', () => {
    const r = profileFacts({ identityMap: { Email: [{ id: 'a' }] }, extSourceSystemAudit: { lastUpdatedDate: '2024-05-01T10:00:00Z' } });
    expect(r.ok && r.value.lastUpdated?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
  });
});

describe('eventFacts', () => {
  it('needs _id, timestamp and an identity', () => {
    expect(eventFacts({ _id: 'e', timestamp: '2024-01-01T00:00:00Z', identityMap: { ECID: [{ id: '1' }] } })).toMatchObject({ ok: true, value: { eventId: 'e', primaryIdentity: 'ECID:1' } });
    expect(eventFacts({ timestamp: '2024-01-01T00:00:00Z', identityMap: { ECID: [{ id: '1' }] } })).toMatchObject({ ok: false, reason: expect.stringContaining('_id') });
    expect(eventFacts({ _id: 'e', identityMap: { ECID: [{ id: '1' }] } })).toMatchObject({ ok: false, reason: expect.stringContaining('timestamp') });
  });
});
