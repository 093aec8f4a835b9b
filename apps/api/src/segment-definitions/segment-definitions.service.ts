import { Injectable, Logger } from '@nestjs/common';
import {
  AUDIENCE_FIELDS,
  AudienceFields,
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
  SegmentDefinitionListing,
  SegmentDefinitionPage,
  ValidationFailed,
  isUuid,
} from '@sx/domain';
import { SegmentDefinitionRepository } from '@sx/persistence';
import { PqlError, convertExpression } from '@sx/pql';
import { logIgnored, sentFields } from '../common/read-only-fields';
import { CreateSegmentDefinitionDto, READ_ONLY_DEFINITION_FIELDS } from './dto/create-segment-definition.dto';
import { ExpressionChecker } from './expression-checker.service';

const EXPRESSION_PATH = 'expression.value';
const UNKNOWN_POLICY = [{ path: 'mergePolicyId', message: 'does not name a merge policy of this sandbox' }];

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
    logIgnored(this.logger, 'POST /segment/definitions', sentFields(dto, READ_ONLY_DEFINITION_FIELDS));
    const result = await this.definitions.create(caller, normalize(dto), (lookup) => this.checker.checkReferences(caller, parsed, EXPRESSION_PATH, dto.id ?? undefined, lookup));
    if (result.outcome === 'unknown-merge-policy') throw new ValidationFailed(UNKNOWN_POLICY);
    if (result.outcome === 'id-taken') throw new Conflict(`A segment definition with id ${dto.id} already exists.`);
    return result.definition;
  }

  /**
   * AEP's PATCH: the body is the whole definition and replaces the stored one (what it leaves out
   * is lost, as AEP warns), checked exactly as a create is; a cycle through the definition itself
   * is refused. An `id` in the body must be the path's.
   */
  async replace(caller: Caller, id: string, dto: CreateSegmentDefinitionDto): Promise<SegmentDefinition> {
    if (dto.id != null && dto.id.toLowerCase() !== id) throw new ValidationFailed([{ path: 'id', message: 'must be the id of the path (a definition keeps its id)' }]);
    const parsed = this.checker.parse(dto.expression.format, dto.expression.value, EXPRESSION_PATH);
    logIgnored(this.logger, 'PATCH /segment/definitions/{id}', sentFields(dto, READ_ONLY_DEFINITION_FIELDS));
    const { id: _ignored, ...replacement } = normalize(dto);
    const result = await this.definitions.replace(caller, id, replacement, (lookup) => this.checker.checkReferences(caller, parsed, EXPRESSION_PATH, id, lookup));
    if (result.outcome === 'not-found') throw new NotFound(`Segment definition ${id} does not exist.`);
    if (result.outcome === 'unknown-merge-policy') throw new ValidationFailed(UNKNOWN_POLICY);
    this.logger.log({ msg: 'segment definition replaced', segmentId: id });
    return result.definition;
  }

  async get(caller: Caller, id: string): Promise<SegmentDefinition> {
    const definition = await this.definitions.findById(caller, id);
    if (!definition) throw new NotFound(`Segment definition ${id} does not exist.`);
    return definition;
  }

  /** `POST /segment/definitions/bulk-get`: the definitions found, each once; ids that name none are left out. */
  bulkGet(caller: Caller, ids: string[]): Promise<SegmentDefinition[]> {
    const problems = ids.flatMap((id, i) => (isUuid(id) ? [] : [{ path: `ids[${i}].id`, message: 'must be a uuid' }]));
    if (problems.length) throw new ValidationFailed(problems);
    return this.definitions.findMany(caller, ids);
  }

  /**
   * One page. The evaluationInfo filters are answered from the flags every definition has here
   * (batch only, see EVALUATION_INFO): one that asks for streaming or edge lists nothing.
   */
  async list(caller: Caller, listing: SegmentDefinitionListing, matchesFlags: boolean): Promise<SegmentDefinitionPage> {
    if (!matchesFlags) return { definitions: [], totalCount: 0 };
    return this.definitions.list(caller, listing);
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
    // `schema.id` can only name the profile class (the DTO checks it), whose name this is.
    schema: { name: dto.schema?.name ?? PROFILE_SCHEMA_NAME },
  };
  if (dto.id != null) definition.id = dto.id;
  if (dto.description != null) definition.description = dto.description;
  if (dto.mergePolicyId != null) definition.mergePolicyId = dto.mergePolicyId;
  if (dto.ttlInDays != null) definition.ttlInDays = dto.ttlInDays;
  if (dto.payloadSchema != null) definition.payloadSchema = dto.payloadSchema;
  const audience: AudienceFields = {};
  for (const field of AUDIENCE_FIELDS) if (dto[field] != null) audience[field] = dto[field];
  if (Object.keys(audience).length) definition.audience = audience;
  return definition;
}
