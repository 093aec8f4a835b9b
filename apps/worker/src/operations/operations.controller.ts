import { Controller } from '@nestjs/common';
import { OperationsEndpoints } from '@sx/observability';

/** The worker's /health/live, /health/ready and /metrics (OperationsEndpoints), on WORKER_HTTP_PORT: its only routes. */
@Controller()
export class WorkerOperationsController extends OperationsEndpoints {}
