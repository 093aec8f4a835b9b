import { Body, Controller, Delete, Get, Headers, HttpCode, Logger, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, getSchemaPath, ApiExtraModels } from '@nestjs/swagger';
import { Caller, NotFound, ValidationFailed } from '@sx/domain';
import { BatchRepository, DatasetRepository } from '@sx/persistence';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { ApiJson } from '../common/openapi-schema';
import { HEX24, HEX32, PathParam } from '../common/param-decorators';
import { parseQueryBoolean } from '../common/query-boolean';
import { batchList, datasetList, project } from './catalog-list';
import { parseProperties } from './catalog-query.parser';
import { CatalogService } from './catalog.service';
import { BatchListQuery, DatasetListQuery } from './dto/catalog-page.query';
import { CreateDatasetDto, PatchDatasetDto, PutDatasetDto } from './dto/create-dataset.dto';
import { byId, presentBatch, presentDataset } from './catalog.presenter';
import { ApiProblem, BATCH_MAP_SCHEMA, DATASET_MAP_SCHEMA, DATASET_REFS_SCHEMA } from './catalog.openapi';

const ref = (id: string) => [`@/dataSets/${id}`];
const DATASET_ID = PathParam('id', HEX24, 'must be a dataset id (24 hex characters)');

/** `?properties=` of a single read: one or more comma-separated lists. */
function singleProperties(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v) => typeof v === 'string')) throw new ValidationFailed([{ path: 'properties', message: 'must be text' }]);
  return [...new Set(list.flatMap((v) => parseProperties(v)))];
}

/** AEP Catalog Service: datasets and batches of the caller's sandbox. */
@AepApi('catalog')
@ApiExtraModels(PatchDatasetDto)
@Controller()
export class CatalogController {
  private readonly logger = new Logger(CatalogController.name);

  constructor(
    private readonly service: CatalogService,
    private readonly datasets: DatasetRepository,
    private readonly batches: BatchRepository,
  ) {}

  @Post('dataSets')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a dataset; answers ["@/dataSets/{id}"] as AEP does' })
  @ApiJson(201, DATASET_REFS_SCHEMA, '["@/dataSets/{id}"]')
  @ApiQuery({
    name: 'requestDataSource',
    required: false,
    enum: ['true', 'false'],
    description: 'Accepted (any case, as Python clients send True/False) and ignored (no data sources here).',
  })
  async createDataset(@CurrentCaller() caller: Caller, @Body() dto: CreateDatasetDto, @Query('requestDataSource') requestDataSource?: unknown): Promise<string[]> {
    if (requestDataSource !== undefined) {
      if (parseQueryBoolean(requestDataSource) === undefined) throw new ValidationFailed([{ path: 'requestDataSource', message: 'must be true or false' }]);
      this.logger.debug({ msg: 'accepted and ignored', route: 'POST /dataSets', query: ['requestDataSource'] });
    }
    return ref((await this.service.create(caller, dto)).id);
  }

  @Get('dataSets')
  @ApiOperation({ summary: 'Datasets as a map keyed by id: Catalog filters, orderBy, properties, start/limit (20 by default)' })
  @ApiJson(200, DATASET_MAP_SCHEMA, '{"<id>": {dataset}, ...}; only the fields of ?properties= when given')
  async listDatasets(@CurrentCaller() caller: Caller, @Query() q: DatasetListQuery) {
    const { query, properties } = datasetList(q);
    return byId(await this.datasets.list(caller, query), (d) => project(presentDataset(d), properties));
  }

  @Get('dataSets/:id')
  @ApiOperation({ summary: 'One dataset, as a map with its id as the only key' })
  @ApiJson(200, DATASET_MAP_SCHEMA, '{"<id>": {dataset}}')
  @ApiQuery({ name: 'properties', required: false, description: 'Comma-separated top-level fields to answer with.' })
  async getDataset(@CurrentCaller() caller: Caller, @DATASET_ID id: string, @Query('properties') properties?: unknown) {
    const fields = singleProperties(properties);
    const dataset = await this.datasets.findById(caller, id);
    if (!dataset) throw new NotFound(`Dataset ${id} does not exist.`);
    return byId([dataset], (d) => project(presentDataset(d), fields));
  }

  @Put('dataSets/:id')
  @ApiOperation({ summary: 'Replace a dataset (its schema stays); answers ["@/dataSets/{id}"]' })
  @ApiJson(200, DATASET_REFS_SCHEMA, '["@/dataSets/{id}"]')
  async replaceDataset(@CurrentCaller() caller: Caller, @DATASET_ID id: string, @Body() dto: PutDatasetDto): Promise<string[]> {
    return ref((await this.service.replace(caller, id, dto)).id);
  }

  @Patch('dataSets/:id')
  @ApiOperation({ summary: 'Update a dataset: fields (application/json) or JSON Patch (application/json-patch+json); answers ["@/dataSets/{id}"]' })
  @ApiConsumes('application/json', 'application/json-patch+json')
  @ApiJson(200, DATASET_REFS_SCHEMA, '["@/dataSets/{id}"]')
  @ApiBody({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(PatchDatasetDto) },
        {
          type: 'array',
          items: {
            type: 'object',
            required: ['op', 'path'],
            properties: { op: { type: 'string', enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] }, path: { type: 'string' }, from: { type: 'string' }, value: {} },
          },
        },
      ],
    },
  })
  async patchDataset(@CurrentCaller() caller: Caller, @DATASET_ID id: string, @Body() body: unknown, @Headers('content-type') contentType?: string): Promise<string[]> {
    return ref((await this.service.patch(caller, id, body, contentType)).id);
  }

  @Delete('dataSets/:id')
  @ApiOperation({
    summary: 'Delete a dataset with its batches and data; ["@/dataSets/{id}"], or [] for an unknown id (as AEP); 409 while a batch is processed or an export writes into it',
  })
  @ApiJson(200, DATASET_REFS_SCHEMA, '["@/dataSets/{id}"], or [] for an unknown id')
  @ApiProblem(409, 'A batch of the dataset is being processed, or an export job writes into it')
  async deleteDataset(@CurrentCaller() caller: Caller, @DATASET_ID id: string): Promise<string[]> {
    return (await this.service.remove(caller, id)) ? ref(id) : [];
  }

  @Get('batches')
  @ApiOperation({ summary: 'Batches as a map keyed by id: Catalog filters (dataSet, status, createdAfter...), orderBy, properties, start/limit' })
  @ApiJson(200, BATCH_MAP_SCHEMA, '{"<id>": {batch}, ...}; only the fields of ?properties= when given')
  async listBatches(@CurrentCaller() caller: Caller, @Query() q: BatchListQuery) {
    const { query, properties } = batchList(q);
    return byId(await this.batches.list(caller, query), (b) => project(presentBatch(b), properties));
  }

  @Get('batches/:id')
  @ApiOperation({ summary: 'One batch: status, record counts, times, errors, and what its import POST stored (tags, externalId, inputFormat, replay)' })
  @ApiJson(200, BATCH_MAP_SCHEMA, '{"<id>": {batch}}')
  async getBatch(@CurrentCaller() caller: Caller, @PathParam('id', HEX32, 'must be a batch id (32 hex characters)') id: string) {
    const batch = await this.batches.findById(caller, id);
    if (!batch) throw new NotFound(`Batch ${id} does not exist.`);
    return byId([batch], presentBatch);
  }
}
