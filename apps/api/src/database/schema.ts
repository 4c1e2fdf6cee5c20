import { bigint, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The tables of meeting history, audit trail, room settings and webhook
 * deliveries. The SQL that creates them is in `migrations/` (applied at
 * start-up); `database.spec.ts` checks both agree on PostgreSQL and PGlite.
 */

/** Rooms created through the server API, with their settings (`RoomSettings`). */
export const rooms = pgTable('rooms', {
  id: text('id').primaryKey(),
  settings: jsonb('settings').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  createdBy: text('created_by').notNull(),
});

/** One meeting: from the first peer joining a room to the room closing. */
export const meetings = pgTable(
  'meetings',
  {
    id: text('id').primaryKey(),
    /** Paging order. */
    seq: bigint('seq', { mode: 'number' }).notNull().unique().generatedAlwaysAsIdentity(),
    roomId: text('room_id').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endReason: text('end_reason'),
  },
  (t) => [index('meetings_room_started').on(t.roomId, t.startedAt)],
);

/** Each stay of a peer in a meeting (a rejoin is a new row). */
export const meetingParticipants = pgTable(
  'meeting_participants',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    meetingId: text('meeting_id').notNull().references(() => meetings.id),
    peerId: text('peer_id').notNull(),
    subject: text('subject').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role').notNull(),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull(),
    leftAt: timestamp('left_at', { withTimezone: true }),
    leftReason: text('left_reason'),
  },
  (t) => [index('meeting_participants_meeting').on(t.meetingId), index('meeting_participants_peer').on(t.peerId)],
);

/** Who did what, when, and how it ended: moderation, lobby decisions, server API calls, joins and leaves. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorKind: text('actor_kind').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    roomId: text('room_id'),
    target: text('target'),
    outcome: text('outcome').notNull(),
    detail: jsonb('detail').notNull().default({}),
  },
  (t) => [index('audit_events_room').on(t.roomId, t.id)],
);

/** Every attempt to deliver a webhook, successful or not. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    endpoint: text('endpoint').notNull(),
    attempt: integer('attempt').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    statusCode: integer('status_code'),
    outcome: text('outcome').notNull(),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [index('webhook_deliveries_event').on(t.eventId)],
);

export const schema = { rooms, meetings, meetingParticipants, auditEvents, webhookDeliveries };
