import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { and, asc, desc, eq, isNull, lt, type SQL } from 'drizzle-orm';
import { DATABASE, type DatabaseConnection } from '../database/database';
import { DatabaseWriters } from '../database/database-writers';
import { cursorValue, toPage, type Page, type PageRequest } from '../database/paging';
import { meetingParticipants, meetings } from '../database/schema';
import { WriteQueue } from './write-queue';

export interface MeetingParticipantRecord {
  peerId: string;
  subject: string;
  displayName: string;
  role: string;
  joinedAt: string;
  leftAt: string | null;
  leftReason: string | null;
}

export interface MeetingRecord {
  id: string;
  roomId: string;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
}

export interface MeetingDetail extends MeetingRecord {
  participants: MeetingParticipantRecord[];
}

export interface MeetingQuery extends PageRequest {
  roomId?: string;
}

/**
 * Meetings (a room from its first peer to its close) and who was in them.
 * Fed by the room's life cycle through {@link HistorySink}; writes are
 * serialized (a join is written after its meeting), joins batched (see
 * WriteQueue), and never throw to the meeting: an outage is logged.
 */
@Injectable()
export class MeetingHistoryService {
  private readonly logger = new Logger(MeetingHistoryService.name);
  private readonly queue = new WriteQueue(this.logger);
  /** roomId → the meeting in progress. */
  private readonly current = new Map<string, string>();

  constructor(
    @Inject(DATABASE) private readonly database: DatabaseConnection,
    @Optional() writers?: DatabaseWriters,
  ) {
    writers?.register(() => this.queue.drain());
  }

  /** The meeting in progress in `roomId`, if any. */
  meetingOf(roomId: string): string | undefined {
    return this.current.get(roomId);
  }

  started(roomId: string, at: Date): void {
    const id = randomUUID();
    this.current.set(roomId, id);
    this.write('room.started', (db) => db.insert(meetings).values({ id, roomId, startedAt: at }));
  }

  finished(roomId: string, at: Date, reason: string): void {
    const id = this.current.get(roomId);
    if (!id) return;
    this.current.delete(roomId);
    this.write('room.finished', async (db) => {
      await db.update(meetingParticipants).set({ leftAt: at, leftReason: reason }).where(and(eq(meetingParticipants.meetingId, id), isNull(meetingParticipants.leftAt)));
      await db.update(meetings).set({ endedAt: at, endReason: reason }).where(eq(meetings.id, id));
    });
  }

  joined(roomId: string, p: { peerId: string; subject: string; displayName: string; role: string }, at: Date): void {
    const meetingId = this.current.get(roomId);
    if (!meetingId) return;
    const row = { meetingId, ...p, joinedAt: at };
    void this.queue.insert('participants', row, (rows) => this.database.db.insert(meetingParticipants).values(rows));
  }

  left(roomId: string, peerId: string, at: Date, reason: string): void {
    const meetingId = this.current.get(roomId);
    if (!meetingId) return;
    this.write('participant.left', (db) =>
      db
        .update(meetingParticipants)
        .set({ leftAt: at, leftReason: reason })
        .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.peerId, peerId), isNull(meetingParticipants.leftAt))),
    );
  }

  /** Waits for every write queued so far. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  async list(query: MeetingQuery): Promise<Page<MeetingRecord>> {
    const conditions: SQL[] = [];
    const cursor = cursorValue(query);
    if (cursor !== null) conditions.push(lt(meetings.seq, cursor));
    if (query.roomId) conditions.push(eq(meetings.roomId, query.roomId));
    const rows = await this.database.db
      .select()
      .from(meetings)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(desc(meetings.seq))
      .limit(query.limit + 1);
    return toPage(rows, query.limit, (r) => r.seq, meetingRecord);
  }

  async get(id: string): Promise<MeetingDetail | null> {
    const [meeting] = await this.database.db.select().from(meetings).where(eq(meetings.id, id));
    if (!meeting) return null;
    const people = await this.database.db.select().from(meetingParticipants).where(eq(meetingParticipants.meetingId, id)).orderBy(asc(meetingParticipants.id));
    return {
      ...meetingRecord(meeting),
      participants: people.map((p) => ({
        peerId: p.peerId,
        subject: p.subject,
        displayName: p.displayName,
        role: p.role,
        joinedAt: p.joinedAt.toISOString(),
        leftAt: p.leftAt?.toISOString() ?? null,
        leftReason: p.leftReason,
      })),
    };
  }

  private write(what: string, op: (db: DatabaseConnection['db']) => Promise<unknown>): void {
    void this.queue.run(what, () => op(this.database.db));
  }
}

function meetingRecord(r: typeof meetings.$inferSelect): MeetingRecord {
  return { id: r.id, roomId: r.roomId, startedAt: r.startedAt.toISOString(), endedAt: r.endedAt?.toISOString() ?? null, endReason: r.endReason };
}
