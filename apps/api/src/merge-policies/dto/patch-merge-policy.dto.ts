import { ApiProperty } from '@nestjs/swagger';

/**
 * One operation of PATCH /config/mergePolicies/{id}, for the OpenAPI document only: the body is
 * one of these or an array of them, checked by patchOperationsOf and applyMergePolicyPatch.
 */
export class MergePolicyPatchOperationDto {
  @ApiProperty({ enum: ['add', 'replace'], example: 'add' })
  op: string;

  @ApiProperty({ example: '/default', enum: ['/name', '/identityGraph.type', '/attributeMerge.type', '/schema.name', '/version', '/default', '/isActiveOnEdge'] })
  path: string;

  @ApiProperty({ example: 'true', description: 'A string as in AEP\'s examples ("true", "pdg"), or JSON of the field\'s type.' })
  value: string;
}
