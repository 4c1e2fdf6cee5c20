import { Module } from '@nestjs/common';
import { AuditLogService } from './audit-log.service';
import { HistorySink } from './history-sink';
import { MeetingHistoryService } from './meeting-history.service';

/** Meeting history and the audit trail, in the database. */
@Module({
  providers: [AuditLogService, MeetingHistoryService, HistorySink],
  exports: [AuditLogService, MeetingHistoryService],
})
export class HistoryModule {}
