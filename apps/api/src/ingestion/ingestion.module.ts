import { Module } from '@nestjs/common';
import { BatchIngestionController } from './batch-ingestion.controller';
import { BatchIngestionService } from './batch-ingestion.service';

@Module({ controllers: [BatchIngestionController], providers: [BatchIngestionService] })
export class IngestionModule {}
