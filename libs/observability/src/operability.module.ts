import { DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Metrics, MetricsApp } from './metrics';
import { Readiness } from './readiness';
import { StoreGauges } from './store-gauges';

/**
 * Health and metrics of one process: Readiness (terminus) and Metrics (prom-client), for the
 * app's own controllers to serve. The API adds the store's gauges (StoreGauges).
 */
@Global()
@Module({})
export class OperabilityModule {
  static forRoot(app: MetricsApp): DynamicModule {
    const providers = [{ provide: Metrics, useFactory: () => new Metrics(app) }, Readiness, ...(app === 'api' ? [StoreGauges] : [])];
    return { module: OperabilityModule, imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })], providers, exports: [Metrics, Readiness] };
  }
}
