import type { AppConfig } from '@sx/config';
import { NotFound, TooManyRequests } from '@sx/domain';
import type { BatchRepository, ExportDiffRepository, ExportJobRepository } from '@sx/persistence';
import type { ExportDispatcher } from '@sx/queue';
import type { DatasetStorage } from '@sx/storage';
import { ExportDiffService } from './export-diff.service';

const caller = { orgId: 'org', sandboxName: 'prod', clientId: 'c' };

describe('ExportDiffService concurrency', () => {
  it('computes at most EXPORT_DIFF_MAX_CONCURRENT diffs at once; one more is a 429, and a slot frees when one ends', async () => {
    const waiting: Array<() => void> = [];
    // Looking the first job up waits until released, then finds none (a 404 ends that diff).
    const jobs = { findById: () => new Promise((resolve) => waiting.push(() => resolve(null))) } as unknown as ExportJobRepository;
    const service = new ExportDiffService(
      jobs,
      {} as BatchRepository,
      {} as ExportDiffRepository,
      {} as DatasetStorage,
      { EXPORT_DIFF_MAX_CONCURRENT: 2 } as AppConfig,
      {} as ExportDispatcher,
    );
    const first = service.diff(caller, 1, 2);
    const second = service.diff(caller, 3, 4);
    await expect(service.diff(caller, 5, 6)).rejects.toThrow(TooManyRequests);
    waiting.shift()!();
    await expect(first).rejects.toThrow(NotFound);
    const third = service.diff(caller, 7, 8);
    await expect(service.diff(caller, 9, 10)).rejects.toThrow(TooManyRequests);
    for (const release of waiting.splice(0)) release();
    await expect(second).rejects.toThrow(NotFound);
    await expect(third).rejects.toThrow(NotFound);
  });
});
