import { Injectable } from '@nestjs/common';
import { ApiClient, ApiClientWithSecret } from '@sx/domain';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';

/** API clients are looked up by their key (the gateway's job), so this one is not tenant-scoped. */
@Injectable()
export class ApiClientRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(client: { clientId: string; secretHash: string; orgId: string; sandboxes: string[] }): Promise<ApiClient> {
    return withStoreErrors(async () => {
      const row = await this.prisma.apiClient.create({ data: client });
      return { clientId: row.clientId, orgId: row.orgId, sandboxes: row.sandboxes, createdAt: row.createdAt };
    });
  }

  async findById(clientId: string): Promise<ApiClientWithSecret | null> {
    return withStoreErrors(() => this.prisma.apiClient.findUnique({ where: { clientId } }));
  }
}
