import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsObject, IsOptional, ValidateNested } from 'class-validator';

// AEP's evaluationInfo: which segmentation evaluates the definition. Only batch evaluation is built
// here (segment jobs, previews, exports with evaluation), so the only accepted flags are AEP's
// defaults: batch on, continuous (streaming) and synchronous (edge) off. A request for the others
// is a 400 saying so, instead of a stored flag that nothing would ever honour.

export class BatchEvaluationDto {
  @ApiPropertyOptional({ enum: [true] })
  @IsDefined()
  @IsBoolean()
  @IsIn([true], { message: 'must be true: batch is the only evaluation this service builds' })
  enabled: boolean;
}

export class ContinuousEvaluationDto {
  @ApiPropertyOptional({ enum: [false] })
  @IsDefined()
  @IsBoolean()
  @IsIn([false], { message: 'must be false: streaming (continuous) evaluation is not built here, only batch evaluation' })
  enabled: boolean;
}

export class SynchronousEvaluationDto {
  @ApiPropertyOptional({ enum: [false] })
  @IsDefined()
  @IsBoolean()
  @IsIn([false], { message: 'must be false: edge (synchronous) evaluation is not built here, only batch evaluation' })
  enabled: boolean;
}

export class EvaluationInfoDto {
  @ApiPropertyOptional({ type: BatchEvaluationDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => BatchEvaluationDto)
  batch?: BatchEvaluationDto;

  @ApiPropertyOptional({ type: ContinuousEvaluationDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ContinuousEvaluationDto)
  continuous?: ContinuousEvaluationDto;

  @ApiPropertyOptional({ type: SynchronousEvaluationDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SynchronousEvaluationDto)
  synchronous?: SynchronousEvaluationDto;
}
