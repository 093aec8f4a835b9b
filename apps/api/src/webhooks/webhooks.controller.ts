import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import type { Caller, Webhook, WebhookDelivery } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { ApiJson, ApiNoBody } from '../common/openapi-schema';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { WebhooksService } from './webhooks.service';

const WEBHOOK_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    description: { type: 'string' },
    createdAt: { type: 'integer', description: 'epoch ms' },
    secret: { type: 'string', description: 'POST only: the signing secret, shown this once' },
  },
} as const;
const DELIVERY_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid', description: 'the webhook-id header of each attempt' },
    event: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    lastStatusCode: { type: 'integer' },
    lastError: { type: 'string' },
    createdAt: { type: 'integer' },
    nextAttemptAt: { type: 'integer' },
    deliveredAt: { type: 'integer' },
  },
} as const;

const presentWebhook = (w: Webhook) => ({ id: w.id, url: w.url, events: w.events, ...(w.description ? { description: w.description } : {}), createdAt: w.createdAt.getTime() });
const presentDelivery = (d: WebhookDelivery) => ({
  id: d.id,
  event: d.event,
  status: d.status,
  attempts: d.attempts,
  ...(d.lastStatusCode !== undefined ? { lastStatusCode: d.lastStatusCode } : {}),
  ...(d.lastError ? { lastError: d.lastError } : {}),
  createdAt: d.createdAt.getTime(),
  ...(d.nextAttemptAt ? { nextAttemptAt: d.nextAttemptAt.getTime() } : {}),
  ...(d.deliveredAt ? { deliveredAt: d.deliveredAt.getTime() } : {}),
});

/** Webhooks on job end, per org and sandbox (not an AEP API: ours, in AEP's config style). */
@AepApi('webhooks')
@Controller('config/webhooks')
export class WebhooksController {
  constructor(private readonly service: WebhooksService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a webhook: url, events, description; the answer carries its signing secret, shown only this once' })
  @ApiJson(201, WEBHOOK_SCHEMA, 'The webhook, with its secret')
  async create(@CurrentCaller() caller: Caller, @Body() dto: CreateWebhookDto) {
    const { webhook, secret } = await this.service.create(caller, dto);
    return { ...presentWebhook(webhook), secret };
  }

  @Get()
  @ApiOperation({ summary: "The sandbox's webhooks, oldest first (secrets never shown)" })
  @ApiJson(200, { type: 'object', properties: { children: { type: 'array', items: WEBHOOK_SCHEMA }, _page: { type: 'object' } } }, '{children, _page: {count}}')
  async list(@CurrentCaller() caller: Caller) {
    const children = (await this.service.list(caller)).map(presentWebhook);
    return { children, _page: { count: children.length } };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook' })
  @ApiJson(200, WEBHOOK_SCHEMA, 'The webhook')
  async get(@CurrentCaller() caller: Caller, @Param('id', new ParseUUIDPipe()) id: string) {
    return presentWebhook(await this.service.get(caller, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook and its delivery log (pending deliveries are dropped)' })
  @ApiNoBody(204, 'Deleted')
  async delete(@CurrentCaller() caller: Caller, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.service.delete(caller, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'The delivery log, newest first: status, attempts, last response code' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } })
  @ApiJson(200, { type: 'object', properties: { children: { type: 'array', items: DELIVERY_SCHEMA } } }, '{children}')
  async deliveries(@CurrentCaller() caller: Caller, @Param('id', new ParseUUIDPipe()) id: string, @Query('limit') limit?: string) {
    const n = limit === undefined ? 50 : Number(limit);
    const bounded = Number.isInteger(n) && n >= 1 && n <= 500 ? n : 50;
    return { children: (await this.service.deliveries(caller, id, bounded)).map(presentDelivery) };
  }
}
