import { Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { S3Client } from '@aws-sdk/client-s3';
import { AppConfig } from '@sx/config';
import { DatasetStorage } from './dataset-storage';
import { LocalDatasetStorage } from './local-dataset-storage';
import { checkBucket, createS3Client } from './s3-client';
import { S3DatasetStorage } from './s3-dataset-storage';

const S3_CLIENT = Symbol('S3_CLIENT');

/** Provides the DatasetStorage of the configuration: STORAGE_DRIVER `local` (a directory) or `s3` (a bucket). */
@Global()
@Module({
  providers: [
    { provide: S3_CLIENT, inject: [AppConfig], useFactory: (c: AppConfig) => (c.STORAGE_DRIVER === 's3' ? createS3Client(c) : null) },
    {
      provide: DatasetStorage,
      inject: [AppConfig, S3_CLIENT],
      useFactory: (c: AppConfig, s3: S3Client | null) => (s3 ? new S3DatasetStorage(s3, c.S3_BUCKET!) : new LocalDatasetStorage(c.STORAGE_ROOT)),
    },
  ],
  exports: [DatasetStorage],
})
export class StorageModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly config: AppConfig,
    @Inject(S3_CLIENT) private readonly s3: S3Client | null,
  ) {}

  /** An unusable bucket stops the process at start, not at the first upload or export. */
  async onModuleInit(): Promise<void> {
    if (this.s3) await checkBucket(this.s3, this.config);
  }

  /** Last, as Postgres and Redis close: a finishing export still commits its files during onModuleDestroy. */
  onApplicationShutdown(): void {
    this.s3?.destroy();
  }
}
