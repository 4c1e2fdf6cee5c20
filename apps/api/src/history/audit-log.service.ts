import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { DATABASE, type DatabaseConnection } from '../database/database';
import { DatabaseWriters } from '../database/database-writers';
import { cursorValue, toPage, type Page, type PageRequest } from '../database/paging';
import { auditEvents } from '../database/schema';
import { WriteQueue } from './write-queue';

/** Who acted: a participant (by token subject), a server API key, or the server itself. */
export interface AuditActor {
  kind: 'participant' | 'api' | 'system';
  id: string;
}

/** One entry of the audit trail, as written and as listed. */
export interface AuditEntry {
  actor: AuditActor;
  /** e.g. `moderation.mute`, `lobby.admit`, `participant.joined`, `api.POST /api/v1/rooms`. */
  action: string;
  roomId?: string | null;
  /** The peer, room or resource acted upon. */
  target?: string | null;
  /** `ok`, or the error code that refused it (`forbidden`, `not_found`, …). */
  outcome: string;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  id: string;
  at: string;
  roomId: string | null;
  target: string | null;
  detail: Record<string, unknown>;
}

export interface AuditQuery extends PageRequest {
  roomId?: string;
  action?: string;
}

/**
 * The audit trail. `record` never throws to its caller: a database outage is
 * logged and the meeting goes on. Writes are serialized so the trail keeps the
 * order things happened in, and batched (see WriteQueue).
 */
@Injectable()
export class AuditLogService {
  private readonly logger = new Logger(AuditLogService.name);
  private readonly queue = new WriteQueue(this.logger);

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseConnection,
    @Optional() writers?: DatabaseWriters,
  ) {
    writers?.register(() => this.queue.drain());
  }

  /** Queues the entry (rows recorded while the queue is busy are written in one insert); resolves once written. */
  record(entry: AuditEntry): Promise<void> {
    const row = {
      actorKind: entry.actor.kind,
      actor: entry.actor.id,
      action: entry.action,
      roomId: entry.roomId ?? null,
      target: entry.target ?? null,
      outcome: entry.outcome,
      detail: entry.detail ?? {},
    };
    return this.queue.insert('audit', row, (rows) => this.database.db.insert(auditEvents).values(rows));
  }

  /** Waits for every write queued so far (tests, shutdown). */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  async list(query: AuditQuery): Promise<Page<AuditRecord>> {
    const conditions: SQL[] = [];
    const cursor = cursorValue(query);
    if (cursor !== null) conditions.push(lt(auditEvents.id, cursor));
    if (query.roomId) conditions.push(eq(auditEvents.roomId, query.roomId));
    if (query.action) conditions.push(eq(auditEvents.action, query.action));
    const rows = await this.database.db
      .select()
      .from(auditEvents)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(desc(auditEvents.id))
      .limit(query.limit + 1);
    return toPage(rows, query.limit, (r) => r.id, (r) => ({
      id: String(r.id),
      at: r.at.toISOString(),
      actor: { kind: r.actorKind as AuditActor['kind'], id: r.actor },
      action: r.action,
      roomId: r.roomId,
      target: r.target,
      outcome: r.outcome,
      detail: r.detail as Record<string, unknown>,
    }));
  }
}
