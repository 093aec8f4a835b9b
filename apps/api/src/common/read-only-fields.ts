import { Logger } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * AEP's `sandbox` object as its responses show it. Clients send it back (GET then POST, AEP's own
 * PUT and PATCH examples): accepted with its types checked, and ignored, since the sandbox is the
 * one of the x-sandbox-name header.
 */
export class SandboxRefDto {
  @ApiPropertyOptional({ example: '28e74200-e3de-11e9-8f5d-7f27416c5f0d' })
  @IsOptional() @IsString() @MaxLength(200)
  sandboxId?: string;

  @ApiPropertyOptional({ example: 'prod' })
  @IsOptional() @IsString() @MaxLength(200)
  sandboxName?: string;

  @ApiPropertyOptional({ example: 'production' })
  @IsOptional() @IsString() @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ example: true })
  @IsOptional() @IsBoolean()
  default?: boolean;
}

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
