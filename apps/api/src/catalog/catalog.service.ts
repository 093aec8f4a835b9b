import { Injectable, Logger } from '@nestjs/common';
import { Caller, Dataset, DatasetFields, NotFound, ValidationFailed, resolveSchema } from '@sx/domain';
import { DatasetRepository } from '@sx/persistence';
import { DatasetStorage, datasetPrefix } from '@sx/storage';
import { validationPipe } from '../common/validation';
import { DEFAULT_SCHEMA_CONTENT_TYPE } from './catalog.presenter';
import { applyJsonPatch } from './json-patch';
import { CreateDatasetDto, DatasetFieldsDto, PatchDatasetDto, PutDatasetDto, READ_ONLY_DATASET_FIELDS, SchemaRefDto } from './dto/create-dataset.dto';

/** Writable fields of a dataset besides name and schemaRef (the DTO's names are the domain's). */
const OPTIONAL_FIELDS = ['description', 'tags', 'fileDescription', 'enableErrorDiagnostics', 'observableSchema', 'basePath', 'dataSourceId'] as const;
const READ_ONLY = new Set<string>(READ_ONLY_DATASET_FIELDS);
const plain = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** Datasets as AEP's Catalog writes them: create, replace (PUT), patch (fields or JSON Patch), delete. */
@Injectable()
export class CatalogService {
  private readonly logger = new Logger(CatalogService.name);

  constructor(
    private readonly datasets: DatasetRepository,
    private readonly storage: DatasetStorage,
  ) {}

  async create(caller: Caller, dto: CreateDatasetDto): Promise<Dataset> {
    this.logIgnored(dto, 'POST /dataSets');
    return this.datasets.create(caller, this.fieldsOf(dto, undefined));
  }

  async replace(caller: Caller, id: string, dto: PutDatasetDto): Promise<Dataset> {
    this.logIgnored(dto, 'PUT /dataSets/{id}');
    const updated = await this.datasets.update(caller, id, (current) => Promise.resolve(this.fieldsOf(dto, current)));
    if (!updated) throw new NotFound(`Dataset ${id} does not exist.`);
    return updated;
  }

  /** `application/json-patch+json` (or an array) is RFC 6902 over the dataset; an object replaces the fields it names. */
  async patch(caller: Caller, id: string, body: unknown, contentType: string | undefined): Promise<Dataset> {
    const jsonPatch = Array.isArray(body) || /^application\/json-patch\+json\b/i.test(contentType ?? '');
    const object = jsonPatch ? undefined : await this.validated(PatchDatasetDto, body);
    if (object) this.logIgnored(object, 'PATCH /dataSets/{id}');
    const updated = await this.datasets.update(caller, id, async (current) => {
      if (object) return this.merged(current, object, body as Record<string, unknown>);
      const doc = applyJsonPatch(writableDocument(current), body, (tokens, at) => {
        if (tokens.length && READ_ONLY.has(tokens[0])) throw new ValidationFailed([{ path: at, message: `/${tokens[0]} is read-only` }]);
      });
      return this.fieldsOf(await this.validated(PutDatasetDto, doc), current);
    });
    if (!updated) throw new NotFound(`Dataset ${id} does not exist.`);
    return updated;
  }

  /** True when it existed (AEP answers an unknown id 200 `[]`). Storage goes after the rows. */
  async remove(caller: Caller, id: string): Promise<boolean> {
    if (!(await this.datasets.remove(caller, id))) return false;
    const prefix = datasetPrefix({ orgId: caller.orgId, sandboxName: caller.sandboxName, datasetId: id });
    // The rows are gone: files left behind are unreachable, so a failure here is logged, not answered.
    await this.storage.removePrefix(prefix).catch((e: Error) => this.logger.warn({ msg: 'dataset files not removed', datasetId: id, error: e.message }));
    return true;
  }

  private async validated<T extends object>(metatype: new () => T, value: unknown): Promise<T> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationFailed([{ path: 'body', message: 'must be a JSON object' }]);
    return (await validationPipe().transform(value, { type: 'body', metatype })) as T;
  }

  /** The whole set of fields of a POST or PUT (what is left out is absent). */
  private fieldsOf(dto: DatasetFieldsDto & { name: string; schemaRef: SchemaRefDto }, current: Dataset | undefined): DatasetFields {
    const fields: DatasetFields = { name: dto.name, ...this.schemaOf(dto.schemaRef, current) };
    for (const key of OPTIONAL_FIELDS) if (dto[key] !== undefined && dto[key] !== null) (fields as unknown as Record<string, unknown>)[key] = plain(dto[key]);
    if (!fields.tags) fields.tags = {};
    return fields;
  }

  /** PATCH with fields: those present replace, `null` removes an optional one. */
  private merged(current: Dataset, dto: PatchDatasetDto, body: Record<string, unknown>): DatasetFields {
    const has = (k: string) => Object.prototype.hasOwnProperty.call(body, k);
    for (const k of ['name', 'schemaRef']) if (has(k) && body[k] === null) throw new ValidationFailed([{ path: k, message: 'cannot be removed' }]);
    const fields: DatasetFields = { ...datasetFields(current) };
    if (dto.name !== undefined) fields.name = dto.name;
    if (dto.schemaRef) Object.assign(fields, this.schemaOf(dto.schemaRef, current));
    const out = fields as unknown as Record<string, unknown>;
    for (const key of OPTIONAL_FIELDS) {
      if (!has(key)) continue;
      if (body[key] === null) delete out[key];
      else out[key] = plain(dto[key]);
    }
    if (!fields.tags) fields.tags = {};
    return fields;
  }

  /** A dataset's schema is fixed at creation: a write may name it again, not change it. */
  private schemaOf(ref: SchemaRefDto, current: Dataset | undefined): Pick<DatasetFields, 'schemaId' | 'schemaContentType'> {
    const schema = resolveSchema(ref.id);
    if (!schema) throw new ValidationFailed([{ path: 'schemaRef.id', message: 'must be the profile, profile union or experience event schema' }]);
    if (current && schema.id !== current.schemaId) throw new ValidationFailed([{ path: 'schemaRef.id', message: `cannot change: the dataset's schema is ${current.schemaId}` }]);
    return { schemaId: schema.id, schemaContentType: ref.contentType ?? current?.schemaContentType };
  }

  /** The input policy of #11: documented fields that mean nothing here are accepted and named in a debug line. */
  private logIgnored(dto: object, route: string): void {
    const ignored = Object.keys(dto).filter((k) => k === 'schema' || READ_ONLY.has(k));
    if (ignored.length) this.logger.debug({ msg: 'accepted and ignored', route, fields: ignored });
  }
}

/** The domain fields of a stored dataset (what a write starts from). */
function datasetFields(d: Dataset): DatasetFields {
  const fields: DatasetFields = { name: d.name, schemaId: d.schemaId, tags: d.tags };
  if (d.schemaContentType !== undefined) fields.schemaContentType = d.schemaContentType;
  for (const key of OPTIONAL_FIELDS) if (d[key] !== undefined) (fields as unknown as Record<string, unknown>)[key] = d[key];
  return fields;
}

/** What a JSON Patch applies to: the writable fields, as GET shows them. */
function writableDocument(d: Dataset): Record<string, unknown> {
  const { schemaId, schemaContentType, ...rest } = datasetFields(d);
  return { ...rest, schemaRef: { id: schemaId, contentType: schemaContentType ?? DEFAULT_SCHEMA_CONTENT_TYPE } };
}
