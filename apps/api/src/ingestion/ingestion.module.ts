import { Module } from '@nestjs/common';
import { BatchIngestionController } from './batch-ingestion.controller';
import { BatchIngestionService } from './batch-ingestion.service';
import { BatchPreviewController } from './batch-preview.controller';
import { BatchPreviewService } from './batch-preview.service';
import { LargeFileController } from './large-file.controller';
import { LargeFileService } from './large-file.service';

@Module({ controllers: [BatchIngestionController, BatchPreviewController, LargeFileController], providers: [BatchIngestionService, BatchPreviewService, LargeFileService] })
export class IngestionModule {}
