import { SegmentDefinition, ValidationFailed } from '@sx/domain';
import type { SegmentDefinitionRepository } from '@sx/persistence';
import { ExpressionChecker } from './expression-checker.service';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';
const scope = { orgId: 'O', sandboxName: 'prod' };

/** The repository's findMany over an in-memory sandbox (the repository itself is tested against Postgres in e2e). */
function checkerWith(stored: Record<string, string>): ExpressionChecker {
  const definitions = {
    findMany: async (_: unknown, ids: string[]) =>
      [...new Set(ids)].filter((id) => id in stored).map((id) => ({ id, expression: { type: 'PQL', format: 'pql/text', value: stored[id] } }) as SegmentDefinition),
  } as unknown as SegmentDefinitionRepository;
  return new ExpressionChecker(definitions);
}

async function problemsOf(p: Promise<unknown> | (() => unknown)) {
  try {
    await (typeof p === 'function' ? p() : p);
    return [];
  } catch (e) {
    if (e instanceof ValidationFailed) return e.problems;
    throw e;
  }
}

describe('ExpressionChecker', () => {
  it('a parse error is a problem under the given path, with its position', async () => {
    const checker = checkerWith({});
    expect(await problemsOf(() => checker.parse('pql/text', 'a = ', 'expression.value'))).toEqual([{ path: 'expression.value', message: expect.stringMatching(/ at 1:\d+$/) }]);
    expect(await problemsOf(() => checker.parse('pql/text', 'a.head() = 1', 'predicateExpression'))).toEqual([
      { path: 'predicateExpression', message: "unsupported construct 'head' at 1:3" },
    ]);
    expect(checker.parse('pql/text', `inSegment("${A}")`, 'x').segmentRefs).toEqual([A]);
  });

  it('names every referenced id the sandbox does not have', async () => {
    const checker = checkerWith({ [A]: 'a = 1' });
    const parsed = checker.parse('pql/text', `inSegment("${A}") or inSegment("${B}") or inSegment("${C}")`, 'p');
    expect(await problemsOf(checker.checkReferences(scope, parsed, 'p'))).toEqual([
      { path: 'p', message: `inSegment("${B}") names no segment definition of this sandbox` },
      { path: 'p', message: `inSegment("${C}") names no segment definition of this sandbox` },
    ]);
  });

  it('accepts a chain; refuses a cycle back to the new definition, through stored ones too', async () => {
    const checker = checkerWith({ [A]: `inSegment("${B}")`, [B]: `inSegment("${C}")` });
    const toA = checker.parse('pql/text', `inSegment("${A}")`, 'p');
    expect(await problemsOf(checker.checkReferences(scope, toA, 'p'))).toEqual([]);
    expect(await problemsOf(checker.checkReferences(scope, toA, 'p', C))).toEqual([{ path: 'p', message: `inSegment references form a cycle: ${A} -> ${B} -> ${C} -> ${A}` }]);
    const self = checker.parse('pql/text', `inSegment("${C}")`, 'p');
    expect(await problemsOf(checker.checkReferences(scope, self, 'p', C))).toEqual([{ path: 'p', message: `inSegment references form a cycle: ${C} -> ${C}` }]);
  });
});
