import { ApiProperty } from '@nestjs/swagger';

/** Response shapes of the room and participant routes, for the OpenAPI document. */

export class PermissionsView {
  @ApiProperty() publishAudio!: boolean;
  @ApiProperty() publishVideo!: boolean;
  @ApiProperty() publishScreen!: boolean;
  @ApiProperty() chat!: boolean;
  @ApiProperty() sendFiles!: boolean;
}

export class RoomSettingsView {
  @ApiProperty() lobby!: boolean;
  @ApiProperty() locked!: boolean;
  @ApiProperty() capacity!: number;
  @ApiProperty({ type: PermissionsView }) participantPermissions!: PermissionsView;
  @ApiProperty({ enum: ['allowed', 'required', 'forbidden'] }) recording!: 'allowed' | 'required' | 'forbidden';
  @ApiProperty() recordingConsent!: boolean;
}

export class RoomView {
  @ApiProperty() roomId!: string;
  @ApiProperty({ type: RoomSettingsView }) settings!: RoomSettingsView;
  @ApiProperty({ description: 'Created through this API (its settings are kept in the database).' }) created!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) createdAt!: string | null;
  @ApiProperty({ description: 'A meeting is in progress.' }) live!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'Id of the meeting in progress (see /api/v1/meetings).' }) meetingId!: string | null;
  @ApiProperty({ description: 'Peers joined.' }) participants!: number;
  @ApiProperty({ description: 'Peers waiting in the lobby.' }) waiting!: number;
}

export class TrackView {
  @ApiProperty() producerId!: string;
  @ApiProperty({ enum: ['audio', 'video'] }) kind!: string;
  @ApiProperty({ enum: ['mic', 'webcam', 'screen', 'screen-audio'] }) source!: string;
  @ApiProperty() paused!: boolean;
}

export class ParticipantView {
  @ApiProperty() peerId!: string;
  @ApiProperty({ description: 'Token subject.' }) subject!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ['host', 'moderator', 'participant', 'viewer'] }) role!: string;
  @ApiProperty({ enum: ['joined', 'waiting'] }) state!: string;
  @ApiProperty({ type: PermissionsView }) permissions!: PermissionsView;
  @ApiProperty({ type: [TrackView] }) tracks!: TrackView[];
}

export class AffectedView {
  @ApiProperty({ description: 'Peers the act reached.' }) affected!: number;
}

export class SentMessageView {
  @ApiProperty() messageId!: string;
  @ApiProperty() timestamp!: number;
}
