import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { MUTABLE_SOURCES, RECORDING_POLICIES, type MutableSource, type RecordingPolicy } from '@confer/signaling-contracts';
import { PermissionsPatchDto } from '../../moderation/dto/moderation.dto';
import { ROOM_ID_PATTERN } from '../../rooms/dto/room.dto';

/** Any subset of a room's settings. */
export class RoomSettingsPatchDto {
  @ApiPropertyOptional({ description: 'Joiners wait until a moderator admits them.' }) @IsOptional() @IsBoolean() lobby?: boolean;
  @ApiPropertyOptional({ description: 'Nobody new may enter except moderators.' }) @IsOptional() @IsBoolean() locked?: boolean;
  @ApiPropertyOptional({ minimum: 1, description: 'Most peers at once (at most MAX_PEERS_PER_ROOM).' }) @IsOptional() @IsInt() @Min(1) @Max(100_000) capacity?: number;
  @ApiPropertyOptional({ type: () => PermissionsPatchDto, description: 'What participants may do (hosts and moderators may do everything).' })
  @IsOptional() @ValidateNested() @Type(() => PermissionsPatchDto) participantPermissions?: PermissionsPatchDto;
  @ApiPropertyOptional({ enum: RECORDING_POLICIES, description: '`allowed` (hosts start it), `required` (starts with the first published track; participants cannot stop it), `forbidden`.' })
  @IsOptional() @IsIn(RECORDING_POLICIES) recording?: RecordingPolicy;
  @ApiPropertyOptional({ description: "True: a participant's media is recorded only after they acknowledge the recording; false: a notice only." })
  @IsOptional() @IsBoolean() recordingConsent?: boolean;
}

export class CreateRoomDto {
  @ApiProperty({ pattern: ROOM_ID_PATTERN.source, example: 'board-meeting' })
  @IsString() @Matches(ROOM_ID_PATTERN, { message: 'roomId must be 1-64 letters, digits, - or _' }) roomId!: string;
  @ApiPropertyOptional({ type: () => RoomSettingsPatchDto }) @IsOptional() @ValidateNested() @Type(() => RoomSettingsPatchDto) settings?: RoomSettingsPatchDto;
}

export class MuteTrackDto {
  @ApiProperty({ enum: MUTABLE_SOURCES, description: '`mic` and `webcam` are paused, `screen` closed; the participant cannot re-enable it until given the permission back.' })
  @IsIn(MUTABLE_SOURCES) source!: MutableSource;
}

export class UpdateParticipantDto {
  @ApiPropertyOptional({ type: () => PermissionsPatchDto }) @IsOptional() @ValidateNested() @Type(() => PermissionsPatchDto) permissions?: PermissionsPatchDto;
  @ApiPropertyOptional({ enum: ['moderator', 'participant', 'viewer'] }) @IsOptional() @IsIn(['moderator', 'participant', 'viewer']) role?: 'moderator' | 'participant' | 'viewer';
}

export class ReasonDto {
  @ApiPropertyOptional({ maxLength: 200 }) @IsOptional() @IsString() @Length(1, 200) reason?: string;
}

export class SendMessageDto {
  @ApiProperty({ description: 'At most MAX_CHAT_LENGTH characters.' }) @IsString() @Length(1, 100_000) text!: string;
  @ApiPropertyOptional({ default: 'Portal', description: 'Sender name shown in the chat (its `peerId` is `server`).' }) @IsOptional() @IsString() @Length(1, 64) fromName?: string;
}
