import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {  ApiOperation } from '@nestjs/swagger';
import { Caller, NotFound, ValidationFailed, resolveSchema } from '@sx/domain';
import { BatchRepository, DatasetRepository } from '@sx/persistence';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { HEX24, HEX32, PathParam } from '../common/param-decorators';
import { BatchListQuery, CatalogPageQuery } from './dto/catalog-page.query';
import { CreateDatasetDto } from './dto/create-dataset.dto';
import { byId, presentBatch, presentDataset } from './catalog.presenter';

/** AEP Catalog Service: datasets and batches of the caller's sandbox. */
@AepApi('catalog')
@Controller()
export class CatalogController {
  constructor(
    private readonly datasets: DatasetRepository,
    private readonly batches: BatchRepository,
  ) {}

  @Post('dataSets')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a dataset; answers ["@/dataSets/{id}"] as AEP does' })
  async createDataset(@CurrentCaller() caller: Caller, @Body() dto: CreateDatasetDto): Promise<string[]> {
    const schema = resolveSchema(dto.schemaRef.id);
    if (!schema) throw new ValidationFailed([{ path: 'schemaRef.id', message: 'must be the profile or experience event schema' }]);
    const dataset = await this.datasets.create(caller, { name: dto.name, description: dto.description, schemaId: schema.id });
    return [`@/dataSets/${dataset.id}`];
  }

  @Get('dataSets')
  @ApiOperation({ summary: 'Datasets, newest first, as a map keyed by id' })
  async listDatasets(@CurrentCaller() caller: Caller, @Query() q: CatalogPageQuery) {
    return byId(await this.datasets.list(caller, { start: q.start ?? 0, limit: q.limit ?? 50 }), presentDataset);
  }

  @Get('dataSets/:id')
  @ApiOperation({ summary: 'One dataset, as a map with its id as the only key' })
  async getDataset(@CurrentCaller() caller: Caller, @PathParam('id', HEX24, 'must be a dataset id (24 hex characters)') id: string) {
    const dataset = await this.datasets.findById(caller, id);
    if (!dataset) throw new NotFound(`Dataset ${id} does not exist.`);
    return byId([dataset], presentDataset);
  }

  @Get('batches')
  @ApiOperation({ summary: 'Batches, newest first, as a map keyed by id (filter with dataSet, status)' })
  async listBatches(@CurrentCaller() caller: Caller, @Query() q: BatchListQuery) {
    const batches = await this.batches.list(caller, { datasetId: q.dataSet, status: q.status, start: q.start ?? 0, limit: q.limit ?? 50 });
    return byId(batches, presentBatch);
  }

  @Get('batches/:id')
  @ApiOperation({ summary: 'One batch: status, record counts, times, errors' })
  async getBatch(@CurrentCaller() caller: Caller, @PathParam('id', HEX32, 'must be a batch id (32 hex characters)') id: string) {
    const batch = await this.batches.findById(caller, id);
    if (!batch) throw new NotFound(`Batch ${id} does not exist.`);
    return byId([batch], presentBatch);
  }
}
