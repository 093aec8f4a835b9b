import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { DatasetStorage } from './dataset-storage';
import { LocalDatasetStorage } from './local-dataset-storage';

/** Provides the DatasetStorage of the configuration (a local directory today). */
@Global()
@Module({
  providers: [{ provide: DatasetStorage, inject: [AppConfig], useFactory: (c: AppConfig) => new LocalDatasetStorage(c.STORAGE_ROOT) }],
  exports: [DatasetStorage],
})
export class StorageModule {}
