import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiExtraModels, ApiNotFoundResponse, ApiOperation, ApiParam, getSchemaPath } from '@nestjs/swagger';
import { BUILT_IN_MERGE_POLICY_ID, Caller } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { BulkGetDto } from '../common/bulk-get.dto';
import { CreateMergePolicyDto } from './dto/create-merge-policy.dto';
import { ListMergePoliciesQuery } from './dto/list-merge-policies.query';
import { MergePolicyPatchOperationDto } from './dto/patch-merge-policy.dto';
import { mergePolicyListRequest, patchOperationsOf } from './merge-policy-request';
import { presentMergePolicy, presentMergePolicyPage } from './merge-policy.presenter';
import { MergePoliciesService } from './merge-policies.service';
import { ApiJson, ApiNoBody } from '../common/openapi-schema';
import { MERGE_POLICY_BULK_SCHEMA, MERGE_POLICY_LIST_SCHEMA, MERGE_POLICY_SCHEMA } from './merge-policy.openapi';

// Merge policy ids are not validated for shape: the built-in's id is not a uuid, and any other text
// simply names no policy (404), as in AEP.

const PATCH_BODY = {
  description:
    "One operation (AEP's docs) or an array of them (its spec). Paths: /name, /identityGraph.type, /attributeMerge.type, /schema.name, /version (ignored), /default, /isActiveOnEdge.",
  schema: {
    oneOf: [{ $ref: getSchemaPath(MergePolicyPatchOperationDto) }, { type: 'array', items: { $ref: getSchemaPath(MergePolicyPatchOperationDto) } }],
  },
};

@AepApi('merge policies')
@ApiExtraModels(MergePolicyPatchOperationDto)
@Controller('config/mergePolicies')
export class MergePoliciesController {
  constructor(private readonly service: MergePoliciesService) {}

  @Get()
  @ApiOperation({ summary: "List merge policies (the built-in included), by name ascending unless orderBy=-name; AEP's filters; offset paging" })
  @ApiJson(200, MERGE_POLICY_LIST_SCHEMA, '{_page: {totalCount, pageSize, next}, children, _links: {next: {href}}}')
  async list(@CurrentCaller() caller: Caller, @Query() query: ListMergePoliciesQuery) {
    const { listing, repeated } = mergePolicyListRequest(query);
    return presentMergePolicyPage(await this.service.list(caller, listing), listing.start, listing.limit, repeated);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a merge policy (AEP answers 200 with it); read-only fields of a GET answer are accepted and ignored' })
  @ApiJson(200, MERGE_POLICY_SCHEMA, 'The merge policy, version 1')
  @ApiBadRequestResponse({ description: 'A field is wrong, or isActiveOnEdge: true while another policy of the sandbox is active on edge' })
  async create(@CurrentCaller() caller: Caller, @Body() dto: CreateMergePolicyDto) {
    return presentMergePolicy(await this.service.create(caller, dto));
  }

  @Post('bulk-get')
  @HttpCode(207)
  @ApiOperation({ summary: 'Several merge policies by id: {ids: [{id}]}; ids that name none are left out of results' })
  @ApiJson(207, MERGE_POLICY_BULK_SCHEMA, '{results: {<id>: MergePolicy}}')
  @ApiBadRequestResponse({ description: 'ids missing, empty or over 1000' })
  async bulkGet(@CurrentCaller() caller: Caller, @Body() dto: BulkGetDto) {
    const found = await this.service.bulkGet(
      caller,
      dto.ids.map((entry) => entry.id),
    );
    return { results: Object.fromEntries(found.map((policy) => [policy.id, presentMergePolicy(policy)])) };
  }

  @Get(':id')
  @ApiParam({ name: 'id', type: String, example: BUILT_IN_MERGE_POLICY_ID })
  @ApiOperation({ summary: 'One merge policy' })
  @ApiJson(200, MERGE_POLICY_SCHEMA, 'The merge policy')
  @ApiNotFoundResponse()
  async get(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return presentMergePolicy(await this.service.get(caller, id));
  }

  @Put(':id')
  @ApiParam({ name: 'id', type: String })
  @ApiOperation({ summary: 'Overwrite a merge policy (every create field again); version +1' })
  @ApiJson(200, MERGE_POLICY_SCHEMA, 'The merge policy')
  @ApiBadRequestResponse({ description: 'A field is wrong, or isActiveOnEdge: true while another policy of the sandbox is active on edge' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: `${BUILT_IN_MERGE_POLICY_ID} cannot be changed` })
  async replace(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() dto: CreateMergePolicyDto) {
    return presentMergePolicy(await this.service.replace(caller, id, dto));
  }

  @Patch(':id')
  @ApiParam({ name: 'id', type: String })
  @ApiBody(PATCH_BODY)
  @ApiOperation({ summary: 'Change fields of a merge policy with AEP\'s operations ({op: "add", path, value}); all or none; version +1' })
  @ApiJson(200, MERGE_POLICY_SCHEMA, 'The merge policy')
  @ApiBadRequestResponse({ description: 'An operation is wrong (named as [i].op/path/value, or op/path/value for a single one)' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: `${BUILT_IN_MERGE_POLICY_ID} cannot be changed` })
  async patch(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: unknown) {
    return presentMergePolicy(await this.service.patch(caller, id, patchOperationsOf(body)));
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiParam({ name: 'id', type: String })
  @ApiOperation({ summary: 'Delete a merge policy (AEP: 200 with an empty body)' })
  @ApiNoBody(200, 'Deleted; no body')
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: `${BUILT_IN_MERGE_POLICY_ID}, a policy segment definitions use, or the policy active on edge` })
  async remove(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.service.delete(caller, id);
  }
}
