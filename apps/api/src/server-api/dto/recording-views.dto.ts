import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { ROOM_ID_PATTERN } from '../../rooms/dto/room.dto';

/** Response shapes of the recording routes, for the OpenAPI document. */

export class RecordingNoticeView {
  @ApiProperty({ enum: ['starting', 'recording', 'stopping', 'stored', 'failed'] }) state!: string;
  @ApiProperty() recordingId!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Display name of the host or moderator who started it; null for the server API or the room policy.' }) startedBy!: string | null;
  @ApiProperty({ description: 'Server time, ms since the epoch.' }) startedAt!: number;
  @ApiProperty({ description: "Only the media of participants who acknowledged is recorded." }) consentRequired!: boolean;
  @ApiPropertyOptional() reason?: string;
}

export class RecordingAvailabilityView {
  @ApiProperty() available!: boolean;
  @ApiPropertyOptional({ description: 'Why recording cannot start (no mediasoup worker, no ffmpeg, RECORDING_ENABLED=false).' }) reason?: string;
  @ApiPropertyOptional({ description: 'ffmpeg version in use.' }) ffmpeg?: string;
}

export class RecordingStatusView {
  @ApiProperty({ enum: ['idle', 'starting', 'recording', 'stopping', 'stored', 'failed'] }) state!: string;
  @ApiProperty({ type: RecordingAvailabilityView }) availability!: RecordingAvailabilityView;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true, description: 'The current or latest recording of the room in this process (tracks, participants, files), or null.' })
  recording!: Record<string, unknown> | null;
}

export class StoredRecordingView {
  @ApiProperty({ description: '`<recordingId>/<fileName>`.' }) key!: string;
  @ApiProperty() recordingId!: string;
  @ApiProperty({ example: 'recording.mp4' }) fileName!: string;
  @ApiProperty() bytes!: number;
  @ApiProperty({ format: 'date-time' }) storedAt!: string;
}

export class RecordingsQueryDto {
  @ApiPropertyOptional({ description: "Only this room's recordings (those whose manifest names it)." })
  @IsOptional() @IsString() @Matches(ROOM_ID_PATTERN) roomId?: string;
}

export class DeletedFilesView {
  @ApiProperty({ description: 'Files removed.' }) deleted!: number;
}
