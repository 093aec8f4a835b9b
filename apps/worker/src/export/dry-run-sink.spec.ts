import { DRY_RUN_SAMPLE_ROWS } from '@sx/domain';
import { DryRunSink } from './dry-run-sink';

describe('DryRunSink', () => {
  const parts = (text: string) => ({ head: Buffer.from(text.slice(0, 5)), middle: Buffer.from(text.slice(5, 9)), tail: text.slice(9) });

  it('keeps the first rows as JSON Lines readers get them (the profile), from stored bytes or objects', () => {
    const sink = new DryRunSink('jsonl');
    const stored = JSON.stringify({ identityMap: { email: [{ id: 'a' }] }, name: 'Zoë' });
    void sink.write({ primaryNamespace: 'email', primaryId: 'a', profileParts: parts(stored) }, []);
    void sink.write({ primaryNamespace: 'ECID', primaryId: 'b', profile: { x: 1, skipped: undefined } }, []);
    const r = sink.result({ profiles: 2, byNamespace: { email: 1, ECID: 1 } }, false);
    expect(r).toEqual({ profiles: 2, byNamespace: { ECID: 1, email: 1 }, sample: [JSON.parse(stored), { x: 1 }] });
    expect(r).not.toHaveProperty('bySegment');
  });

  it('Parquet rows carry the id columns; at most DRY_RUN_SAMPLE_ROWS are kept; bySegment with a segment filter', () => {
    const sink = new DryRunSink('parquet');
    for (let i = 0; i < 25; i++) void sink.write({ primaryNamespace: 'email', primaryId: `p${i}`, profile: { i } }, [0]);
    const r = sink.result({ profiles: 25, byNamespace: { email: 25 }, bySegment: { S: 25 } }, true);
    expect(r.sample).toHaveLength(DRY_RUN_SAMPLE_ROWS);
    expect(r.sample[0]).toEqual({ primaryNamespace: 'email', primaryId: 'p0', profile: { i: 0 } });
    expect(r.sample[9]).toEqual({ primaryNamespace: 'email', primaryId: 'p9', profile: { i: 9 } });
    expect(r.bySegment).toEqual({ S: 25 });
  });

  it('a stored row’s bytes are copied: reusing the buffer after the call changes nothing', () => {
    const sink = new DryRunSink('jsonl');
    const head = Buffer.from('{"a":1}');
    void sink.write({ primaryNamespace: 'email', primaryId: 'a', profileParts: { head, tail: '' } }, []);
    head.write('{"a":2}');
    expect(sink.result({ profiles: 1, byNamespace: {} }, false).sample).toEqual([{ a: 1 }]);
  });
});
