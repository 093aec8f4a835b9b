import { Injectable } from '@nestjs/common';
import { DefinitionLookup, FieldProblem, PqlExpressionFormat, TenantScope, ValidationFailed } from '@sx/domain';
import { ParsedDefinition, PqlCycleError, PqlError, evaluationOrder, parseDefinition } from '@sx/pql';
import { SegmentDefinitionRepository } from '@sx/persistence';

/** Most definitions one reference check reads (a chain longer than this is refused, not walked forever). */
const MAX_REFERENCED_DEFINITIONS = 10_000;

/**
 * The checks a PQL expression passes before it is stored (segment definitions) or run (previews):
 * it parses with the PQL library, every `inSegment` it names is a definition of the caller's
 * sandbox, and the references do not form a cycle. Each failure is a 400 under `path`.
 */
@Injectable()
export class ExpressionChecker {
  constructor(private readonly definitions: SegmentDefinitionRepository) {}

  /** Parses and checks; a PqlError is a 400 `{path, message}` with the library's message (it ends with line:column). */
  parse(format: PqlExpressionFormat, value: string, path: string): ParsedDefinition {
    try {
      return parseDefinition(format, value);
    } catch (e) {
      if (e instanceof PqlError) throw new ValidationFailed([{ path, message: e.message }]);
      throw e;
    }
  }

  /**
   * Every segment the expression references exists in the sandbox, and (with `selfId`, the id the
   * new definition will have) no chain of references leads back to it. Referenced definitions are
   * read transitively so that a cycle through stored definitions is found too. `lookup` reads the
   * stored definitions (by default the repository; a writer passes its transaction's view).
   */
  async checkReferences(scope: TenantScope, parsed: ParsedDefinition, path: string, selfId?: string, lookup?: DefinitionLookup): Promise<void> {
    const find: DefinitionLookup = lookup ?? ((ids) => this.definitions.findMany(scope, ids));
    const self = selfId?.toLowerCase();
    const direct = parsed.segmentRefs.map((id) => id.toLowerCase());
    const missing = await this.missing(
      find,
      direct.filter((id) => id !== self),
    );
    if (missing.length) throw new ValidationFailed(missing.map((id): FieldProblem => ({ path, message: `inSegment("${id}") names no segment definition of this sandbox` })));
    const graph = await this.referenceGraph(find, direct);
    if (self) graph.set(self, direct);
    try {
      evaluationOrder([...graph].map(([id, refs]) => ({ id, refs })));
    } catch (e) {
      if (e instanceof PqlCycleError) throw new ValidationFailed([{ path, message: `inSegment references form a cycle: ${e.ids.join(' -> ')}` }]);
      throw e;
    }
  }

  private async missing(find: DefinitionLookup, ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const found = new Set((await find(ids)).map((d) => d.id));
    return [...new Set(ids)].filter((id) => !found.has(id));
  }

  /**
   * id → referenced ids of every stored definition reachable from `start`. A stored expression
   * that no longer parses (stored before definitions were checked) counts as referencing nothing.
   */
  private async referenceGraph(find: DefinitionLookup, start: string[]): Promise<Map<string, string[]>> {
    const graph = new Map<string, string[]>();
    let frontier = [...new Set(start)];
    while (frontier.length && graph.size < MAX_REFERENCED_DEFINITIONS) {
      const defs = await find(frontier);
      const next: string[] = [];
      for (const def of defs) {
        const refs = refsOf(def.expression.format, def.expression.value);
        graph.set(def.id, refs);
        for (const ref of refs) if (!graph.has(ref)) next.push(ref);
      }
      frontier = [...new Set(next)].filter((id) => !graph.has(id));
    }
    return graph;
  }
}

function refsOf(format: PqlExpressionFormat, value: string): string[] {
  try {
    return parseDefinition(format, value).segmentRefs.map((id) => id.toLowerCase());
  } catch {
    return [];
  }
}
