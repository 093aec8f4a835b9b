import { Module } from '@nestjs/common';
import { ExportJobsModule } from '../export-jobs/export-jobs.module';
import { ScheduleChecks } from './schedule-checks';
import { SchedulesController } from './schedules.controller';
import { SchedulesService } from './schedules.service';

@Module({ imports: [ExportJobsModule], controllers: [SchedulesController], providers: [SchedulesService, ScheduleChecks] })
export class SchedulesModule {}
