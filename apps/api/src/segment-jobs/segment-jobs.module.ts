import { Module } from '@nestjs/common';
import { SegmentJobsController } from './segment-jobs.controller';
import { SegmentJobsService } from './segment-jobs.service';

@Module({ controllers: [SegmentJobsController], providers: [SegmentJobsService] })
export class SegmentJobsModule {}
