import { Get, Headers, Injectable, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig } from '@sx/config';
import { Metrics } from './metrics';
import { metricsReadable } from './metrics-access';
import { Readiness } from './readiness';

/**
 * For load balancers, orchestrators and Prometheus, outside the AEP routes and without a client's
 * credentials: /health/live, /health/ready (503 naming what is down) and /metrics (Prometheus
 * text format; behind METRICS_TOKEN when set). Each app's controller extends this one (the API's
 * marks it public), so both serve exactly the same routes.
 */
@Injectable()
export class OperationsEndpoints {
  constructor(
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
    private readonly config: AppConfig,
  ) {}

  @Get('health/live')
  async live(@Res() res: Response): Promise<void> {
    const r = await this.readiness.live();
    res.status(r.httpStatus).json(r.body);
  }

  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const r = await this.readiness.ready();
    res.status(r.httpStatus).json(r.body);
  }

  @Get('metrics')
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() res: Response): Promise<void> {
    if (!metricsReadable(this.config.METRICS_TOKEN, authorization)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').type('text/plain').send('metrics need Authorization: Bearer <METRICS_TOKEN>\n');
      return;
    }
    res.type(this.metrics.contentType).send(await this.metrics.text());
  }
}
