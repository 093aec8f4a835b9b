import { Logger } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';

/**
 * AEP's `sandbox` object as its responses show it. Clients send it back (GET then POST, AEP's own
 * PUT and PATCH examples): accepted with its types checked, and ignored, since the sandbox is the
 * one of the x-sandbox-name header.
 */
export class SandboxRefDto {
  @ApiPropertyOptional({ example: '28e74200-e3de-11e9-8f5d-7f27416c5f0d' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  sandboxId?: string;

  @ApiPropertyOptional({ example: 'prod' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  sandboxName?: string;

  @ApiPropertyOptional({ example: 'production' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ example: true })
  @IsOptional()
  @IsBoolean()
  default?: boolean;
}

/**
 * The read-only fields that AEP's configuration objects (merge policies, segment definitions) carry
 * in every response: a body sent back after a GET has them. Type-checked, then ignored: the org and
 * sandbox are the caller's, and the service keeps the update time.
 */
export abstract class AepReadOnlyFieldsDto {
  @ApiPropertyOptional({ description: "Read-only: ignored (the caller's org is used)." })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  imsOrgId?: string;

  @ApiPropertyOptional({ type: SandboxRefDto, description: 'Read-only: ignored (the x-sandbox-name sandbox is used).' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SandboxRefDto)
  sandbox?: SandboxRefDto;

  @ApiPropertyOptional({ description: 'Read-only (epoch s): ignored.' })
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  updateEpoch?: number;
}

/** The fields of AepReadOnlyFieldsDto, as the services log them when ignored. */
export const AEP_READ_ONLY_FIELDS = ['imsOrgId', 'sandbox', 'updateEpoch'] as const;

/** The names among `fields` that the body carries (with any value but undefined). */
export function sentFields(body: object, fields: readonly string[]): string[] {
  return fields.filter((field) => (body as Record<string, unknown>)[field] !== undefined);
}

/**
 * The input policy of AEP compatibility: a documented field that means nothing here is accepted
 * and ignored, and a debug line says which, so that "why did my value not stick" has an answer.
 */
export function logIgnored(logger: Logger, operation: string, fields: string[]): void {
  if (fields.length) logger.debug({ msg: 'accepted and ignored', operation, fields });
}
