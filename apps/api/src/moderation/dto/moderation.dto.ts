import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Equals, IsBoolean, IsIn, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import {
  MUTABLE_SOURCES,
  type EndMeetingParams,
  type LobbyDecisionParams,
  type MutableSource,
  type MuteAllParams,
  type MuteParticipantParams,
  type Permissions,
  type RemoveParticipantParams,
  type SetPermissionsParams,
  type SetRoleParams,
  type UpdateRoomSettingsParams,
} from '@confer/signaling-contracts';

const PEER_ID = [1, 64] as const;

export class LobbyDecisionDto implements LobbyDecisionParams {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(...PEER_ID) peerId?: string;
  @ApiPropertyOptional() @IsOptional() @Equals(true, { message: 'all must be true when given' }) all?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) reason?: string;
}

export class MuteParticipantDto implements MuteParticipantParams {
  @ApiProperty() @IsString() @Length(...PEER_ID) peerId!: string;
  @ApiProperty({ enum: MUTABLE_SOURCES }) @IsIn(MUTABLE_SOURCES) source!: MutableSource;
}

export class MuteAllDto implements MuteAllParams {
  @ApiPropertyOptional({ enum: MUTABLE_SOURCES }) @IsOptional() @IsIn(MUTABLE_SOURCES) source?: MutableSource;
}

/** Any subset of the permissions, each a boolean. */
export class PermissionsPatchDto implements Partial<Permissions> {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() publishAudio?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() publishVideo?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() publishScreen?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() chat?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() sendFiles?: boolean;
}

export class SetPermissionsDto implements SetPermissionsParams {
  @ApiProperty() @IsString() @Length(...PEER_ID) peerId!: string;
  @ApiProperty({ type: () => PermissionsPatchDto }) @ValidateNested() @Type(() => PermissionsPatchDto) permissions!: PermissionsPatchDto;
}

export class SetRoleDto implements SetRoleParams {
  @ApiProperty() @IsString() @Length(...PEER_ID) peerId!: string;
  @ApiProperty({ enum: ['moderator', 'participant', 'viewer'] }) @IsIn(['moderator', 'participant', 'viewer']) role!: SetRoleParams['role'];
}

export class RemoveParticipantDto implements RemoveParticipantParams {
  @ApiProperty() @IsString() @Length(...PEER_ID) peerId!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) reason?: string;
}

export class UpdateRoomSettingsDto implements UpdateRoomSettingsParams {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() lobby?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() locked?: boolean;
}

export class EndMeetingDto implements EndMeetingParams {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) reason?: string;
}
