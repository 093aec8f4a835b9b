import { Injectable, Logger } from '@nestjs/common';
import {
  Caller,
  Conflict,
  DEFAULT_SEGMENT_NAMESPACE,
  NewSegmentDefinition,
  NotFound,
  PQL_JSON_FORMAT,
  PQL_TEXT_FORMAT,
  PROFILE_SCHEMA_NAME,
  PqlExpressionFormat,
  SegmentDefinition,
  SegmentDefinitionPage,
  ValidationFailed,
} from '@sx/domain';
import { SegmentDefinitionRepository } from '@sx/persistence';
import { PqlError, convertExpression } from '@sx/pql';
import type { CreateSegmentDefinitionDto } from './dto/create-segment-definition.dto';
import { ExpressionChecker } from './expression-checker.service';

const EXPRESSION_PATH = 'expression.value';

@Injectable()
export class SegmentDefinitionsService {
  private readonly logger = new Logger(SegmentDefinitionsService.name);

  constructor(
    private readonly definitions: SegmentDefinitionRepository,
    private readonly checker: ExpressionChecker,
  ) {}

  /**
   * Stores the definition with its merge policy resolved now (named, or the sandbox default),
   * once its expression parses and its inSegment references name definitions of the sandbox
   * without a cycle (400 under expression.value otherwise).
   */
  async create(caller: Caller, dto: CreateSegmentDefinitionDto): Promise<SegmentDefinition> {
    const parsed = this.checker.parse(dto.expression.format, dto.expression.value, EXPRESSION_PATH);
    await this.checker.checkReferences(caller, parsed, EXPRESSION_PATH, dto.id ?? undefined);
    const result = await this.definitions.create(caller, normalize(dto));
    if (result.outcome === 'unknown-merge-policy') {
      throw new ValidationFailed([{ path: 'mergePolicyId', message: 'does not name a merge policy of this sandbox' }]);
    }
    if (result.outcome === 'id-taken') throw new Conflict(`A segment definition with id ${dto.id} already exists.`);
    return result.definition;
  }

  async get(caller: Caller, id: string): Promise<SegmentDefinition> {
    const definition = await this.definitions.findById(caller, id);
    if (!definition) throw new NotFound(`Segment definition ${id} does not exist.`);
    return definition;
  }

  list(caller: Caller, page: { page: number; limit: number }): Promise<SegmentDefinitionPage> {
    return this.definitions.list(caller, page);
  }

  /** `POST /segment/conversion`: the expression in the other format (a PqlError is a 400 under expression.value). */
  convert(format: PqlExpressionFormat, value: string): { format: PqlExpressionFormat; value: string } {
    this.checker.parse(format, value, EXPRESSION_PATH);
    const to: PqlExpressionFormat = format === PQL_TEXT_FORMAT ? PQL_JSON_FORMAT : PQL_TEXT_FORMAT;
    try {
      return { format: to, value: convertExpression(value, format, to) };
    } catch (e) {
      if (e instanceof PqlError) throw new ValidationFailed([{ path: EXPRESSION_PATH, message: e.message }]);
      throw e;
    }
  }

  async delete(caller: Caller, id: string): Promise<void> {
    if (!(await this.definitions.delete(caller, id))) throw new NotFound(`Segment definition ${id} does not exist.`);
    this.logger.log({ msg: 'segment definition deleted', segmentId: id });
  }
}

/** Defaults made explicit, so that the stored definition says what it is. */
function normalize(dto: CreateSegmentDefinitionDto): NewSegmentDefinition {
  const definition: NewSegmentDefinition = {
    name: dto.name,
    namespace: dto.namespace ?? DEFAULT_SEGMENT_NAMESPACE,
    expression: { type: 'PQL', format: dto.expression.format, value: dto.expression.value },
    schema: { name: dto.schema?.name ?? PROFILE_SCHEMA_NAME },
  };
  if (dto.id != null) definition.id = dto.id;
  if (dto.description != null) definition.description = dto.description;
  if (dto.mergePolicyId != null) definition.mergePolicyId = dto.mergePolicyId;
  return definition;
}
