import { Injectable, Module } from '@nestjs/common';
import { BullModule, InjectFlowProducer } from '@nestjs/bullmq';
import { AppConfig } from '@sx/config';
import { FlowProducer } from 'bullmq';
import { JobQueueService } from './job-queue.service';
import { JobName, JobPayload, QueueName, jobOptions, partitionCommitQueueJobId, partitionQueueJobId } from './registry';

export const PARTITION_FLOW_PRODUCER = 'export-partitions';

export interface PartitionRun {
  exportJobId: number;
  orgId: string;
  sandboxName: string;
  runToken: string;
  /** How many partitions the run has. */
  partitions: number;
}

/**
 * A partitioned export run as a BullMQ flow: one child per partition still to write
 * (write-export-partition), any worker on any host taking any child, and the commit as their
 * parent, which BullMQ starts once every child completed. Postgres (export_partitions) is the
 * record; this only makes sure Redis carries what is left of it.
 */
@Injectable()
export class PartitionFlows {
  constructor(
    private readonly config: AppConfig,
    private readonly queues: JobQueueService,
    @InjectFlowProducer(PARTITION_FLOW_PRODUCER) private readonly flows: FlowProducer,
  ) {}

  /**
   * Adds the run's flow unless Redis holds its commit still to run. A commit Redis holds as
   * finished while the job is not (BullMQ's history of a run that could not end it) is replaced.
   * `pending`: the partitions not written yet. Answers whether a flow was added.
   */
  async ensure(run: PartitionRun, pending: readonly number[]): Promise<boolean> {
    const queue = this.queues.queue(QueueName.ExportPartition);
    const parentId = partitionCommitQueueJobId(run.exportJobId, run.runToken);
    const held = await queue.getJob(parentId);
    if (held) {
      const state = await held.getState();
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return false;
      await held.remove({ removeChildren: true });
    }
    const commit: JobPayload<JobName.CommitExportPartitions> = { ...run };
    await this.flows.add({
      name: JobName.CommitExportPartitions,
      queueName: QueueName.ExportPartition,
      data: commit,
      opts: { ...jobOptions(JobName.CommitExportPartitions, this.config), jobId: parentId },
      children: pending.map((partition) => ({
        name: JobName.WriteExportPartition,
        queueName: QueueName.ExportPartition,
        data: { ...run, partition } satisfies JobPayload<JobName.WriteExportPartition>,
        opts: { ...jobOptions(JobName.WriteExportPartition, this.config), jobId: partitionQueueJobId(run.exportJobId, run.runToken, partition) },
      })),
    });
    return true;
  }
}

/** The flow producer and PartitionFlows: imported by the worker app alone (the API never splits a job). */
@Module({
  imports: [BullModule.registerFlowProducer({ name: PARTITION_FLOW_PRODUCER })],
  providers: [PartitionFlows],
  exports: [PartitionFlows],
})
export class PartitionFlowModule {}
