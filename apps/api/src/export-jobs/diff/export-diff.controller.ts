import { Controller, Get, Query, Res, createParamDecorator } from '@nestjs/common';
import type { Response } from 'express';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { Caller, ValidationFailed } from '@sx/domain';
import { CurrentCaller } from '../../auth/auth.decorators';
import { AepApi } from '../../common/aep-api.decorator';
import { ApiJson } from '../../common/openapi-schema';
import { requestIdOf } from '../../common/problem';
import { parseQueryBoolean } from '../../common/query-boolean';
import { EXPORT_DIFF_SCHEMA } from './export-diff.openapi';
import { ExportDiffService } from './export-diff.service';

/** A job id of the path (`id`, `otherId`): a positive 32-bit integer, else a 400 naming it. */
export const PathJobId = createParamDecorator((name: string, ctx): number => {
  const value = String(ctx.switchToHttp().getRequest<{ params: Record<string, string> }>().params[name]);
  const id = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(id >= 1 && id <= 2147483647)) throw new ValidationFailed([{ path: name, message: 'must be a whole number from 1 to 2147483647' }]);
  return id;
});

@AepApi('export jobs')
@Controller('export/jobs')
export class ExportDiffController {
  constructor(private readonly service: ExportDiffService) {}

  @Get(':id/diff/:otherId')
  @ApiParam({ name: 'id', type: Number, description: 'The export before' })
  @ApiParam({ name: 'otherId', type: Number, description: 'The export after' })
  @ApiQuery({
    name: 'batch',
    required: false,
    type: Boolean,
    description:
      "true: also have the entered, exited and changed profiles written as a batch, by an export job of their own (the pair's one: asking again answers the same job); `batch` in the answer says which and how far it is",
  })
  @ApiOperation({
    summary: 'Not in AEP: per segment, how many profiles entered, exited, changed or stayed the same from export {id} to export {otherId} (both SUCCEEDED, JSON Lines or Parquet)',
  })
  @ApiJson(200, EXPORT_DIFF_SCHEMA, 'The counts per segment ("*" for exports without segment filters)')
  @ApiResponse({ status: 409, description: 'The exports cannot be diffed (not SUCCEEDED, different formats or segments, CSV, a batch no longer committed); the detail says why' })
  async diff(
    @CurrentCaller() caller: Caller,
    @PathJobId('id') id: number,
    @PathJobId('otherId') otherId: number,
    @Res({ passthrough: true }) res: Response,
    @Query('batch') batch?: unknown,
  ) {
    const wanted = batch === undefined ? false : parseQueryBoolean(batch);
    if (wanted === undefined) throw new ValidationFailed([{ path: 'batch', message: 'must be true or false' }]);
    return this.service.diff(caller, id, otherId, wanted ? { requestId: requestIdOf(res) } : undefined);
  }
}
