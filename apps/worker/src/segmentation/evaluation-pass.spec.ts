import type { EvaluatedOut, EventOut, FragmentOut, ProfileReader } from '@sx/persistence';
import type { ProfileView } from '@sx/pql';
import { EvaluationCounters } from './evaluation-counters';
import { type EvaluatedProfile, runEvaluationPass } from './evaluation-pass';

const NOW = Date.parse('2026-06-01T00:00:00.000Z');
const NOW_ISO = '2026-06-01T00:00:00.000Z';

function fragment(key: string, record: Record<string, unknown>, ingestTime = 1000): FragmentOut {
  const json = JSON.stringify(record);
  return { key, primaryIdentity: key, datasetId: 'ds', recordTime: ingestTime, ingestTime, json, jsonBytes: Buffer.from(json) };
}
const identityMap = (key: string) => {
  const [ns, id] = key.split(':');
  return { [ns]: [{ id, primary: true }] };
};
const person = (key: string, extra: Record<string, unknown> = {}) => fragment(key, { identityMap: identityMap(key), ...extra });

/** An in-memory reader (chunks of two rows, to cross batch borders). */
function reader(fragments: FragmentOut[], events?: EventOut[], evaluated?: EvaluatedOut[]): ProfileReader {
  const chunks = <T>(rows: T[]) =>
    (async function* () {
      for (let i = 0; i < rows.length; i += 2) yield rows.slice(i, i + 2);
    })();
  return { fragments: chunks(fragments), events: events && chunks(events), evaluated: evaluated && chunks(evaluated), close: async () => undefined };
}

const age = (v: ProfileView) => (v.profile.person as { age?: number } | undefined)?.age ?? 0;
const inSeg = (v: ProfileView, id: string) => {
  const s = ((v.profile.segmentMembership as Record<string, Record<string, { status: string }>>)?.ups ?? {})[id]?.status;
  return s === 'realized' || s === 'existing';
};

async function run(r: ProfileReader, defs: Parameters<typeof runEvaluationPass>[1], withEvents = false) {
  const seen: EvaluatedProfile[] = [];
  const counters = new EvaluationCounters(defs.map((d) => d.segmentId));
  const n = await runEvaluationPass(r, defs, { nowMs: NOW, rule: { attributeMerge: 'timestampOrdered' }, identityGraph: 'none', withEvents }, (p) => {
    counters.add(p);
    seen.push(structuredClone({ ...p }));
  });
  return { n, seen, counters: counters.counters };
}

describe('runEvaluationPass', () => {
  const adults = { segmentId: 'adults', segmentNs: 'ups', evaluate: (v: ProfileView) => age(v) >= 18 };

  it('writes only deltas: new members realized at now, leavers exited, kept members untouched', async () => {
    const r = reader([
      person('email:a', { person: { age: 30 } }), // new member
      person('email:b', { person: { age: 40 }, segmentMembership: { ups: { adults: { status: 'existing', lastQualificationTime: '2026-01-01T00:00:00Z' } } } }), // kept
      person('email:c', { person: { age: 10 }, segmentMembership: { ups: { adults: { status: 'realized', lastQualificationTime: '2026-01-01T00:00:00Z' } } } }), // exits
      person('phone:d', { person: { age: 5 } }), // never in
      person('phone:e', { person: { age: 5 }, segmentMembership: { ups: { adults: { status: 'exited', lastQualificationTime: '2026-01-01T00:00:00Z' } } } }), // stays out
    ]);
    const { n, seen, counters } = await run(r, [adults]);
    expect(n).toBe(5);
    expect(seen.map((p) => [p.identity, p.outcomes[0].qualifies, p.outcomes[0].change])).toEqual([
      ['email:a', true, 'realized'],
      ['email:b', true, undefined],
      ['email:c', false, 'exited'],
      ['phone:d', false, undefined],
      ['phone:e', false, undefined],
    ]);
    expect((seen[0].profile.record.segmentMembership as any).ups.adults).toEqual({ status: 'realized', lastQualificationTime: NOW_ISO });
    expect((seen[1].profile.record.segmentMembership as any).ups.adults.lastQualificationTime).toBe('2026-01-01T00:00:00Z');
    expect(counters).toEqual({
      totalProfiles: 5,
      segmentedProfileCounter: { adults: 2 },
      segmentedProfileByNamespaceCounter: { adults: { email: 2 } },
      segmentedProfileByStatusCounter: { adults: { realized: 2, exited: 1 } },
    });
  });

  it('overlays evaluated rows: a later evaluated exit beats the record, an earlier one does not', async () => {
    const r = reader(
      [
        person('email:a', { person: { age: 30 }, segmentMembership: { ups: { adults: { status: 'realized', lastQualificationTime: '2026-01-01T00:00:00Z' } } } }),
        person('email:b', { person: { age: 30 }, segmentMembership: { ups: { adults: { status: 'realized', lastQualificationTime: '2026-03-01T00:00:00Z' } } } }),
      ],
      undefined,
      [
        { key: 'email:0', identity: 'email:0', segmentNs: 'ups', segmentId: 'adults', status: 'realized', lastQualificationTime: 0 }, // a profile gone: skipped
        { key: 'email:a', identity: 'email:a', segmentNs: 'ups', segmentId: 'adults', status: 'exited', lastQualificationTime: Date.parse('2026-02-01T00:00:00Z') },
        { key: 'email:b', identity: 'email:b', segmentNs: 'ups', segmentId: 'adults', status: 'exited', lastQualificationTime: Date.parse('2026-02-01T00:00:00Z') },
      ],
    );
    const { seen } = await run(r, [adults]);
    // a: the evaluated exit is later, so a is out and re-qualifies; b: its record's realized is later, kept.
    expect(seen.map((p) => p.outcomes[0].change)).toEqual(['realized', undefined]);
  });

  it('evaluates a chain in order: a dependent sees the fresh result of the segment it names', async () => {
    const r = reader([
      person('email:a', { person: { age: 30 } }),
      person('email:b', { person: { age: 10 }, segmentMembership: { ups: { adults: { status: 'realized', lastQualificationTime: '2026-01-01T00:00:00Z' } } } }),
    ]);
    const notAdults = { segmentId: 'notAdults', segmentNs: 'ups', evaluate: (v: ProfileView) => !inSeg(v, 'adults') };
    const { seen, counters } = await run(r, [adults, notAdults]);
    expect(seen.map((p) => p.outcomes.map((o) => [o.qualifies, o.change]))).toEqual([
      [
        [true, 'realized'],
        [false, undefined],
      ],
      [
        [false, 'exited'],
        [true, 'realized'],
      ],
    ]);
    expect(counters.segmentedProfileCounter).toEqual({ adults: 1, notAdults: 1 });
  });

  it('hands events to the evaluators and evaluates event-only profiles', async () => {
    const ev = (key: string, t: number, type: string): EventOut => ({ key, timestamp: t, ingestTime: t, json: JSON.stringify({ identityMap: identityMap(key), eventType: type }) });
    const r = reader([person('email:b', {})], [ev('email:a', 1, 'view'), ev('email:b', 2, 'buy'), ev('email:b', 3, 'buy'), ev('email:c', 4, 'buy')]);
    const buyers = { segmentId: 'buyers', segmentNs: 'ups', evaluate: (v: ProfileView) => v.events.filter((e) => e.eventType === 'buy').length >= 1 };
    const { n, seen } = await run(r, [buyers], true);
    expect(n).toBe(3);
    expect(seen.map((p) => [p.identity, p.outcomes[0].qualifies])).toEqual([
      ['email:a', false],
      ['email:b', true],
      ['email:c', true],
    ]);
  });

  it('stops at the next profile once its signal is aborted', async () => {
    const controller = new AbortController();
    let n = 0;
    await runEvaluationPass(
      reader([person('email:a'), person('email:b'), person('email:c')]),
      [adults],
      { nowMs: NOW, rule: { attributeMerge: 'timestampOrdered' }, identityGraph: 'none', withEvents: false, signal: controller.signal },
      () => {
        n++;
        controller.abort();
      },
    );
    expect(n).toBe(1);
  });
});
