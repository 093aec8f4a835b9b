import type { ExportPlan } from './export-plan';
import { sinkInto } from './export-outputs';
import type { StagedBatchOutput } from './staged-batch-output';
import type { ExportRow } from './writers/row-writer';

describe('sinkInto', () => {
  const row = (id: string): ExportRow => ({ primaryNamespace: 'email', primaryId: id });

  it('segmentPerBatch: the row goes to each qualified segment’s output in order, a pending write finished before the next output is written', async () => {
    const log: string[] = [];
    let release: () => void = () => undefined;
    const output = (name: string, slow = false) =>
      ({
        write: (r: ExportRow) => {
          log.push(`${name}:${r.primaryId}`);
          if (!slow) return undefined;
          return new Promise<void>((done) => (release = () => (log.push(`${name} done`), done())));
        },
      }) as unknown as StagedBatchOutput;
    const sink = sinkInto({ segmentPerBatch: true } as ExportPlan, [output('s0'), output('s1', true), output('s2')]);

    expect(sink(row('a'), [0, 2])).toBeUndefined(); // all synchronous: no promise
    const pending = sink(row('b'), [1, 2]);
    expect(pending).toBeInstanceOf(Promise);
    expect(log).toEqual(['s0:a', 's2:a', 's1:b']);
    release();
    await pending;
    expect(log).toEqual(['s0:a', 's2:a', 's1:b', 's1 done', 's2:b']);
  });

  it('without segmentPerBatch every row goes to the one output', () => {
    const written: string[] = [];
    const sink = sinkInto({ segmentPerBatch: false } as ExportPlan, [{ write: (r: ExportRow) => void written.push(r.primaryId) } as unknown as StagedBatchOutput]);
    void sink(row('a'), [1]);
    void sink(row('b'), []);
    expect(written).toEqual(['a', 'b']);
  });
});
