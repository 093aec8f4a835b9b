import type { Caller, ExportJobRequest } from '@sx/domain';
import { createTestEnv, TestEnv } from '../../../test/support/test-env';
import { ExportJobRepository } from './export-job.repository';
import { PrismaService } from './prisma.service';

const caller: Caller = { orgId: 'org1', sandboxName: 'prod', clientId: 'c' };
const request: ExportJobRequest = { schema: { name: '_xdm.context.profile' }, destination: { datasetId: 'd'.repeat(24), segmentPerBatch: false, outputFormat: 'jsonl' } };

describe('ExportJobRepository.ensureDiffJob on Postgres', () => {
  jest.setTimeout(60_000);
  let env: TestEnv;
  let prisma: PrismaService;
  let repo: ExportJobRepository;
  beforeAll(async () => {
    env = await createTestEnv('export_job_repo');
    prisma = new PrismaService(env.config());
    repo = new ExportJobRepository(prisma);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await env?.close();
  });

  it('asked for at once, one pair gets one job (the unique index decides; the loser answers the winner)', async () => {
    for (let pair = 1; pair <= 10; pair++) {
      const diffOf = { beforeJobId: pair, afterJobId: 1000 + pair };
      const answers = await Promise.all([1, 2, 3].map(() => repo.ensureDiffJob(caller, diffOf, request, `r${pair}`)));
      expect(new Set(answers.map((a) => a.job.id)).size).toBe(1);
      expect(answers.filter((a) => a.created)).toHaveLength(1);
      expect(answers[0].job.diffOf).toEqual(diffOf);
    }
    const { rows } = await env.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM export_jobs WHERE diff_before_job_id IS NOT NULL`);
    expect(rows[0].n).toBe(10);
  });

  it('another sandbox has a pair of its own; a FAILED job leaves room for a new one', async () => {
    const diffOf = { beforeJobId: 77, afterJobId: 78 };
    const first = await repo.ensureDiffJob(caller, diffOf, request, 'a');
    const elsewhere = await repo.ensureDiffJob({ ...caller, sandboxName: 'dev' }, diffOf, request, 'b');
    expect(elsewhere.job.id).not.toBe(first.job.id);
    await env.db.query(`UPDATE export_jobs SET status = 'FAILED' WHERE id = $1`, [first.job.id]);
    const next = await repo.ensureDiffJob(caller, diffOf, request, 'c');
    expect([next.created, next.job.id === first.job.id]).toEqual([true, false]);
  });
});
