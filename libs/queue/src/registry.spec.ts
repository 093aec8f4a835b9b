import { parseCancelMessage } from './cancel-signals';
import { redisConnection } from './redis-connection';
import { JobName, jobOptions, partitionCommitQueueJobId, partitionQueueJobId } from './registry';

const config = { EXPORT_ATTEMPTS: 4, SEGMENT_JOB_ATTEMPTS: 6, EXPORT_BACKOFF_MS: 250 };

describe('job options: one source of each retry policy', () => {
  it('exports and segment jobs take their attempts and backoff from configuration', () => {
    expect(jobOptions(JobName.RunExport, config)).toMatchObject({ attempts: 4, backoff: { type: 'exponential', delay: 250 } });
    expect(jobOptions(JobName.RunSegmentJob, config)).toMatchObject({ attempts: 6, backoff: { type: 'exponential', delay: 250 } });
  });

  it('partition writers retry as exports do and fail their commit with them; a commit retries past them', () => {
    expect(jobOptions(JobName.WriteExportPartition, config)).toMatchObject({ attempts: 4, backoff: { delay: 250 }, failParentOnFailure: true });
    expect(jobOptions(JobName.CommitExportPartitions, config)).toMatchObject({ attempts: 10 });
  });

  it('flow job ids tell runs and partitions apart and carry no colon', () => {
    const ids = [
      partitionQueueJobId(7, 'aaaaaaaa-1', 0),
      partitionQueueJobId(7, 'aaaaaaaa-1', 1),
      partitionQueueJobId(7, 'bbbbbbbb-1', 0),
      partitionCommitQueueJobId(7, 'aaaaaaaa-1'),
    ];
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).not.toMatch(/:|^\d+$/);
  });

  it('promotions and previews keep their fixed bounds (their attempts are counted in Postgres)', () => {
    expect(jobOptions(JobName.PromoteBatch, config)).toMatchObject({ attempts: 20, backoff: { delay: 2000 } });
    expect(jobOptions(JobName.RunPreview, config)).toMatchObject({ attempts: 5, backoff: { delay: 1000 } });
  });

  it('every job keeps a bounded history in Redis', () => {
    for (const name of Object.values(JobName)) {
      const options = jobOptions(name, config);
      expect(options.removeOnComplete).toEqual(expect.objectContaining({ count: expect.any(Number) }));
      expect(options.removeOnFail).toEqual(expect.objectContaining({ count: expect.any(Number) }));
    }
  });
});

describe('redis connections by role', () => {
  const url = 'rediss://user:p%40ss@cache.example:6380/2';

  it('producers fail fast; workers and subscribers wait out a reconnect; the publisher has a timeout', () => {
    expect(redisConnection(url, 'producer')).toMatchObject({
      host: 'cache.example',
      port: 6380,
      db: 2,
      password: 'p@ss',
      tls: {},
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    expect(redisConnection(url, 'worker')).toMatchObject({ maxRetriesPerRequest: null });
    expect(redisConnection(url, 'subscriber')).not.toHaveProperty('enableOfflineQueue');
    expect(redisConnection(url, 'publisher', 900)).toMatchObject({ maxRetriesPerRequest: 1, commandTimeout: 900 });
  });
});

describe('the cancel message', () => {
  it.each([
    ['{"exportJobId":42}', { exportJobId: 42 }],
    ['{"exportJobId":"42"}', undefined],
    ['{"exportJobId":1.5}', undefined],
    ['not json', undefined],
    ['null', undefined],
  ])('%s → %j', (text, expected) => {
    expect(parseCancelMessage(text)).toEqual(expected);
  });
});
