// Prisma CLI configuration. Prisma 6.19 runs migrations on the JS engine through the pg driver
// adapter, so nothing is downloaded (the classic engines come from a host this network cannot reach).
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import { CatalogSafePool, pgConfigFromUrl } from './prisma/pg-config';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  adapter: () => Promise.resolve(new PrismaPg(new CatalogSafePool(pgConfigFromUrl(process.env.DATABASE_URL)), { disposeExternalPool: true })),
});
