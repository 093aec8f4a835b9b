import { randomBytes, randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { Caller, NotFound, ValidationFailed, Webhook, WebhookDelivery, isPrivateAddress, webhookUrlProblem } from '@sx/domain';
import { WebhookRepository } from '@sx/persistence';
import { CreateWebhookDto } from './dto/create-webhook.dto';

const refuseUrl = (message: string) => new ValidationFailed([{ path: 'url', message }]);

/**
 * Webhooks of the caller's sandbox. A URL is refused unless it is http(s) (https in production)
 * and every address its host resolves to is public (loopback, private and link-local refused,
 * SSRF), unless WEBHOOK_ALLOW_PRIVATE_NETWORKS; workers check the address again at every delivery.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly config: AppConfig,
    private readonly webhooks: WebhookRepository,
  ) {}

  async create(caller: Caller, dto: CreateWebhookDto): Promise<{ webhook: Webhook; secret: string }> {
    const problem = webhookUrlProblem(dto.url, this.config.isProduction);
    if (problem) throw refuseUrl(problem);
    await this.checkAddresses(new URL(dto.url).hostname.replace(/^\[|\]$/g, ''));
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const webhook = await this.webhooks.create(caller, { id: randomUUID(), url: dto.url, events: dto.events, secret, description: dto.description });
    return { webhook, secret };
  }

  list(caller: Caller): Promise<Webhook[]> {
    return this.webhooks.list(caller);
  }

  async get(caller: Caller, id: string): Promise<Webhook> {
    const found = await this.webhooks.find(caller, id);
    if (!found) throw new NotFound(`No webhook ${id} in this sandbox.`);
    return found;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    if (!(await this.webhooks.delete(caller, id))) throw new NotFound(`No webhook ${id} in this sandbox.`);
  }

  async deliveries(caller: Caller, id: string, limit: number): Promise<WebhookDelivery[]> {
    const found = await this.webhooks.deliveries(caller, id, limit);
    if (!found) throw new NotFound(`No webhook ${id} in this sandbox.`);
    return found;
  }

  private async checkAddresses(host: string): Promise<void> {
    if (this.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS) return;
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      throw refuseUrl(`its host ${host} does not resolve`);
    }
    if (addresses.some(isPrivateAddress)) throw refuseUrl(`its host ${host} is a loopback, private or link-local address`);
  }
}
