import { Module } from '@nestjs/common';
import { BatchIngestionController } from './batch-ingestion.controller';
import { BatchIngestionService } from './batch-ingestion.service';
import { LargeFileController } from './large-file.controller';
import { LargeFileService } from './large-file.service';

@Module({ controllers: [BatchIngestionController, LargeFileController], providers: [BatchIngestionService, LargeFileService] })
export class IngestionModule {}
