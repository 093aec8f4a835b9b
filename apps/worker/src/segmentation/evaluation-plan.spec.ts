import type { SegmentJobDefinition } from '@sx/domain';
import { planEvaluation } from './evaluation-plan';
import { SegmentJobFailure } from './segment-job-failure';

const def = (id: string, value: string, mergePolicyId = 'mp1'): SegmentJobDefinition => ({
  id,
  namespace: 'ups',
  expression: { type: 'PQL', format: 'pql/text', value },
  mergePolicyId,
  version: 1,
});
const clock = { nowMs: Date.parse('2026-06-01T00:00:00Z'), zone: 'UTC' };

describe('planEvaluation', () => {
  it('groups by merge policy, orders each pass by dependency, and lists the overlay segments', () => {
    const plan = planEvaluation(
      [
        def('b', 'inSegment("a") and x > 1'), // named before the one it depends on
        def('a', 'x > 0'),
        def('c', 'xEvent[eventType = "buy"].count() > 0', 'mp2'),
        def('d', 'inSegment("elsewhere")'),
      ],
      clock,
    );
    expect(plan.passes.map((p) => [p.mergePolicyId, p.definitions.map((d) => d.segmentId), p.usesEvents])).toEqual([
      ['mp1', ['a', 'b', 'd'], false],
      ['mp2', ['c'], true],
    ]);
    expect(plan.overlaySegments.map((s) => s.segmentId).sort()).toEqual(['a', 'b', 'c', 'd', 'elsewhere']);
    const b = plan.passes[0].definitions[1];
    const view = (x: number, aStatus?: string) => ({ profile: { x, segmentMembership: { ups: aStatus ? { a: { status: aStatus } } : {} } }, events: [] });
    expect(b.evaluate(view(2, 'realized'))).toBe(true);
    expect(b.evaluate(view(2, 'exited'))).toBe(false);
  });

  it('fails the job (no retry) on an expression that does not parse or an inSegment cycle', () => {
    expect(() => planEvaluation([def('a', 'x >')], clock)).toThrow(SegmentJobFailure);
    expect(() => planEvaluation([def('a', 'inSegment("b")'), def('b', 'inSegment("a")')], clock)).toThrow(/cycle/);
  });
});
