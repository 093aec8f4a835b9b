import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  
  ApiConflictResponse,
  
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  
  
} from '@nestjs/swagger';
import { BUILT_IN_MERGE_POLICY_ID, Caller } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { effectiveLimit } from '../common/page-limit.query';
import { AepApi } from '../common/aep-api.decorator';
import { CreateMergePolicyDto } from './dto/create-merge-policy.dto';
import { ListMergePoliciesQuery } from './dto/list-merge-policies.query';
import { presentMergePolicy, presentMergePolicyPage } from './merge-policy.presenter';
import { MergePoliciesService } from './merge-policies.service';

// Merge policy ids are not validated for shape: the built-in's id is not a uuid, and any other text
// simply names no policy (404), as in AEP.

@AepApi('merge policies')
@Controller('config/mergePolicies')
export class MergePoliciesController {
  constructor(private readonly service: MergePoliciesService) {}

  @Get()
  @ApiOperation({ summary: `List merge policies: ${BUILT_IN_MERGE_POLICY_ID} first, then the stored ones oldest first (offset paging)` })
  @ApiOkResponse({ description: '{_page: {totalCount, pageSize, next}, children, _links: {next: {href}}}' })
  async list(@CurrentCaller() caller: Caller, @Query() query: ListMergePoliciesQuery) {
    const limit = effectiveLimit(query.limit);
    const start = query.start ?? 0;
    return presentMergePolicyPage(await this.service.list(caller, { start, limit }), start, limit);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a merge policy (AEP answers 200 with it)' })
  @ApiOkResponse({ description: 'The merge policy' })
  async create(@CurrentCaller() caller: Caller, @Body() dto: CreateMergePolicyDto) {
    return presentMergePolicy(await this.service.create(caller, dto));
  }

  @Get(':id')
  @ApiParam({ name: 'id', type: String, example: BUILT_IN_MERGE_POLICY_ID })
  @ApiOperation({ summary: 'One merge policy' })
  @ApiOkResponse({ description: 'The merge policy' })
  @ApiNotFoundResponse()
  async get(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return presentMergePolicy(await this.service.get(caller, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', type: String })
  @ApiOperation({ summary: 'Delete a merge policy' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: `${BUILT_IN_MERGE_POLICY_ID}, or a policy segment definitions use` })
  async remove(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.service.delete(caller, id);
  }
}
