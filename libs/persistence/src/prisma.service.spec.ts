import { AppConfig } from '@sx/config';
import { PrismaService } from './prisma.service';

describe('PrismaService warm-up', () => {
  it('lets the process start when the database cannot be reached (the warm-up is best effort)', async () => {
    // Port 1 refuses at once: the warm-up's failure is swallowed, not thrown at start-up.
    const prisma = new PrismaService({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' } as AppConfig);
    const started = Date.now();
    await expect(prisma.onModuleInit()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2_500);
    await prisma.$disconnect();
  });
});
