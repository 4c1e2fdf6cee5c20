import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Response shapes of the history routes, for the OpenAPI document. */

export class AuditActorView {
  @ApiProperty({ enum: ['participant', 'api', 'system'] }) kind!: string;
  @ApiProperty({ description: 'Token subject, API key, or `server`.' }) id!: string;
}

export class AuditRecordView {
  @ApiProperty() id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: AuditActorView }) actor!: AuditActorView;
  @ApiProperty({ example: 'moderation.mute' }) action!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) roomId!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Peer id or room id acted upon.' }) target!: string | null;
  @ApiProperty({ description: '`ok` or the error code that refused the act.' }) outcome!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) detail!: Record<string, unknown>;
}

export class AuditPageView {
  @ApiProperty({ type: [AuditRecordView] }) items!: AuditRecordView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class MeetingView {
  @ApiProperty() id!: string;
  @ApiProperty() roomId!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) endedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'empty' }) endReason!: string | null;
}

export class MeetingParticipantView {
  @ApiProperty() peerId!: string;
  @ApiProperty({ description: 'Token subject.' }) subject!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ['host', 'moderator', 'participant', 'viewer'] }) role!: string;
  @ApiProperty({ format: 'date-time' }) joinedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) leftAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'left' }) leftReason!: string | null;
}

export class MeetingDetailView extends MeetingView {
  @ApiProperty({ type: [MeetingParticipantView] }) participants!: MeetingParticipantView[];
}

export class MeetingPageView {
  @ApiProperty({ type: [MeetingView] }) items!: MeetingView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class DeliveryView {
  @ApiProperty() id!: string;
  @ApiProperty() eventId!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty() endpoint!: string;
  @ApiProperty() attempt!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ nullable: true, type: Number }) statusCode!: number | null;
  @ApiProperty({ enum: ['delivered', 'retrying', 'gave_up'] }) outcome!: string;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() durationMs!: number;
}

export class DeliveryPageView {
  @ApiProperty({ type: [DeliveryView] }) items!: DeliveryView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class ApiErrorView {
  @ApiProperty() statusCode!: number;
  @ApiProperty({ example: 'forbidden' }) code!: string;
  @ApiProperty() reason!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}
