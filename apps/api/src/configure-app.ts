import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from '@sx/config';
import { JsonLogger, Metrics } from '@sx/observability';
import { AppModule } from './app.module';
import { declaredLengthLimit, formBody, isFileUpload, jsonBody, onlyIf, unless } from './common/body-parsers';
import { checkedInput } from './common/input-check.middleware';
import { completeOpenApi } from './common/openapi';
import { httpMetrics } from './operations/http-metrics.middleware';
import { PathParamsGuard } from './common/path-params.guard';
import { requestContext } from './common/request-context.middleware';

/** Builds the API application exactly as production runs it; e2e tests call this too. */
export async function createApiApp(config: AppConfig, logger: LoggerService = new JsonLogger('api', config.LOG_LEVEL)): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false, // ours answer in the problem shape, see common/body-parsers.ts
    logger,
  });
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(httpMetrics(app.get(Metrics)));
  app.use(requestContext(logger));
  app.use('/ims', formBody(16 * 1024));
  // Uploaded batch files are streamed to storage by their handler: never parsed or buffered here,
  // but a declared size over the limit is refused before the stream starts.
  app.use(unless(isFileUpload, jsonBody(config.BODY_LIMIT_BYTES)));
  app.use(onlyIf(isFileUpload, declaredLengthLimit(config.MAX_UPLOAD_BYTES, 'The file')));
  // Depth, NUL and reserved property names of every parsed body and query, before anything reads them.
  app.use(checkedInput(config.BODY_MAX_DEPTH));
  app.useGlobalGuards(new PathParamsGuard());
  setUpOpenApi(app, config);
  return app;
}

function setUpOpenApi(app: INestApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Segment export service')
      .setDescription(
        `AEP-compatible Segmentation Service export jobs. AEP routes are under ${config.BASE_PATH}. ` +
          'Get a token at POST /ims/token/v3, then send Authorization, x-api-key, x-gw-ims-org-id and x-sandbox-name.',
      )
      .setVersion('1')
      .addBearerAuth()
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
      .build(),
  );
  completeOpenApi(document, config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
