CREATE TABLE "rooms" (
  "id" text PRIMARY KEY NOT NULL,
  "settings" jsonb NOT NULL,
  "created_at" timestamp with time zone DEFAULT now() NOT NULL,
  "created_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings" (
  "id" text PRIMARY KEY NOT NULL,
  "seq" bigint GENERATED ALWAYS AS IDENTITY UNIQUE NOT NULL,
  "room_id" text NOT NULL,
  "started_at" timestamp with time zone NOT NULL,
  "ended_at" timestamp with time zone,
  "end_reason" text
);
--> statement-breakpoint
CREATE INDEX "meetings_room_started" ON "meetings" ("room_id", "started_at");
--> statement-breakpoint
CREATE TABLE "meeting_participants" (
  "id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  "meeting_id" text NOT NULL REFERENCES "meetings"("id"),
  "peer_id" text NOT NULL,
  "subject" text NOT NULL,
  "display_name" text NOT NULL,
  "role" text NOT NULL,
  "joined_at" timestamp with time zone NOT NULL,
  "left_at" timestamp with time zone,
  "left_reason" text
);
--> statement-breakpoint
CREATE INDEX "meeting_participants_meeting" ON "meeting_participants" ("meeting_id");
--> statement-breakpoint
CREATE INDEX "meeting_participants_peer" ON "meeting_participants" ("peer_id");
--> statement-breakpoint
CREATE TABLE "audit_events" (
  "id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  "at" timestamp with time zone DEFAULT now() NOT NULL,
  "actor_kind" text NOT NULL,
  "actor" text NOT NULL,
  "action" text NOT NULL,
  "room_id" text,
  "target" text,
  "outcome" text NOT NULL,
  "detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_events_room" ON "audit_events" ("room_id", "id");
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
  "id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  "event_id" text NOT NULL,
  "event_type" text NOT NULL,
  "endpoint" text NOT NULL,
  "attempt" integer NOT NULL,
  "at" timestamp with time zone DEFAULT now() NOT NULL,
  "status_code" integer,
  "outcome" text NOT NULL,
  "error" text,
  "duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event" ON "webhook_deliveries" ("event_id");
