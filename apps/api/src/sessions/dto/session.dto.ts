import { Type } from 'class-transformer';
import { IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import type {
  ChangeDisplayNameParams,
  DeviceInfo,
  Empty,
  JoinParams,
  RtpCapabilities,
  SctpCapabilities,
} from '@confer/signaling-contracts';
import { RTP_CAPABILITIES_WIRE, SCTP_CAPABILITIES_WIRE } from '@confer/signaling-contracts';
import { IsWire } from '../../validation/is-wire';
import { ROOM_ID_PATTERN } from '../../rooms/dto/room.dto';

/** Parameters of methods that take none (`leave`); unknown fields are refused. */
export class EmptyDto implements Empty {
  [key: string]: never;
}

export class DeviceInfoDto implements DeviceInfo {
  @IsString() @Length(1, 32) flag!: string;
  @IsString() @Length(1, 64) name!: string;
  @IsOptional() @IsString() @Length(0, 32) version?: string;
}

export class JoinDto implements JoinParams {
  @IsString() @Matches(ROOM_ID_PATTERN, { message: 'roomId must be 1-64 letters, digits, - or _' }) roomId!: string;
  @IsString() @Length(1, 64) displayName!: string;
  @ValidateNested() @Type(() => DeviceInfoDto) device!: DeviceInfoDto;
  /** Wire-checked here, then normalized by mediasoup's ortc in join(). */
  @IsOptional() @IsWire(RTP_CAPABILITIES_WIRE) rtpCapabilities?: RtpCapabilities;
  @IsOptional() @IsWire(SCTP_CAPABILITIES_WIRE) sctpCapabilities?: SctpCapabilities;
}

export class ChangeDisplayNameDto implements ChangeDisplayNameParams {
  @IsString() @Length(1, 64) displayName!: string;
}
