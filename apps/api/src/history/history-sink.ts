import { Injectable, type OnModuleInit } from '@nestjs/common';
import { EventsService } from '../events/events.service';
import type { ConferEvent, EventSink } from '../policies/event-sink';
import { AuditLogService } from './audit-log.service';
import { MeetingHistoryService } from './meeting-history.service';

/**
 * Writes the room life cycle into the meeting history, and joins and leaves
 * into the audit trail. (Moderation acts and lobby decisions are audited where
 * they are decided, refusals included.)
 */
@Injectable()
export class HistorySink implements EventSink, OnModuleInit {
  constructor(
    private readonly events: EventsService,
    private readonly history: MeetingHistoryService,
    private readonly audit: AuditLogService,
  ) {}

  onModuleInit(): void {
    this.events.attach(this);
  }

  emit(event: ConferEvent): void {
    const at = new Date(event.at);
    switch (event.type) {
      case 'room.started':
        return this.history.started(event.roomId, at);
      case 'room.finished':
        return this.history.finished(event.roomId, at, event.reason ?? 'empty');
      case 'participant.joined':
        this.history.joined(event.roomId, { peerId: event.peerId, subject: event.subject ?? event.peerId, displayName: event.displayName, role: event.role ?? 'participant' }, at);
        void this.audit.record({ actor: { kind: 'participant', id: event.subject ?? event.peerId }, action: 'participant.joined', roomId: event.roomId, target: event.peerId, outcome: 'ok', detail: { displayName: event.displayName, role: event.role ?? 'participant' } });
        return;
      case 'participant.left':
        this.history.left(event.roomId, event.peerId, at, event.reason ?? 'left');
        void this.audit.record({ actor: { kind: 'participant', id: event.subject ?? event.peerId }, action: 'participant.left', roomId: event.roomId, target: event.peerId, outcome: 'ok', detail: { reason: event.reason ?? 'left' } });
        return;
      default:
        return;
    }
  }
}
