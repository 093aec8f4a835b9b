import { Injectable } from '@nestjs/common';
import { ApiClient, ApiClientWithSecret } from '@sx/domain';
import { PrismaService } from './prisma.service';
import { translateStoreError } from './store-errors';

/** API clients are looked up by their key (the gateway's job), so this one is not tenant-scoped. */
@Injectable()
export class ApiClientRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(client: { clientId: string; secretHash: string; orgId: string; sandboxes: string[] }): Promise<ApiClient> {
    try {
      const row = await this.prisma.apiClient.create({ data: client });
      return { clientId: row.clientId, orgId: row.orgId, sandboxes: row.sandboxes, createdAt: row.createdAt };
    } catch (e) {
      return translateStoreError(e);
    }
  }

  async findById(clientId: string): Promise<ApiClientWithSecret | null> {
    try {
      return await this.prisma.apiClient.findUnique({ where: { clientId } });
    } catch (e) {
      return translateStoreError(e);
    }
  }
}
