import { Controller } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { OperationsEndpoints } from '@sx/observability';
import { Public } from '../auth/auth.decorators';

/** /health/live, /health/ready and /metrics of the API (OperationsEndpoints): no client credentials, not in the AEP document. */
@ApiExcludeController()
@Public()
@Controller()
export class OperationsController extends OperationsEndpoints {}
