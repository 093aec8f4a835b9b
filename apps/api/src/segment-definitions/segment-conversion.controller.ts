import { Body, Controller, HttpCode, Logger, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOperation } from '@nestjs/swagger';
import { Caller } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { logIgnored, sentFields } from '../common/read-only-fields';
import { ConvertExpressionDto } from './dto/convert-expression.dto';
import { SegmentDefinitionsService } from './segment-definitions.service';
import { ApiJson } from '../common/openapi-schema';
import { CONVERSION_SCHEMA } from './segment-definition.openapi';

@AepApi('segment definitions')
@Controller('segment/conversion')
export class SegmentConversionController {
  private readonly logger = new Logger(SegmentConversionController.name);

  constructor(private readonly service: SegmentDefinitionsService) {}

  /** AEP's response: `{ttlInDays?, imsOrgId, sandbox, description?, expression}`, in that order. */
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Convert a PQL expression between pql/text and pql/json (nothing is stored)' })
  @ApiJson(200, CONVERSION_SCHEMA, '{ttlInDays?, imsOrgId, sandbox, description?, expression: {type: "PQL", format, value}}')
  @ApiBadRequestResponse({ description: 'The expression does not parse, or uses a construct that is not built (errors[] under expression.value)' })
  convert(@CurrentCaller() caller: Caller, @Body() dto: ConvertExpressionDto): Record<string, unknown> {
    const converted = this.service.convert(dto.expression.format, dto.expression.value);
    logIgnored(this.logger, 'POST /segment/conversion', sentFields(dto, ['payloadSchema', 'imsOrgId']));
    const body: Record<string, unknown> = {};
    if (dto.ttlInDays !== undefined) body.ttlInDays = dto.ttlInDays;
    body.imsOrgId = caller.orgId;
    body.sandbox = { sandboxName: caller.sandboxName };
    if (dto.description !== undefined) body.description = dto.description;
    body.expression = { type: 'PQL', format: converted.format, value: converted.value };
    return body;
  }
}
