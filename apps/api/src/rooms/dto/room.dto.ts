import { IsString, Matches } from 'class-validator';
import type { GetRouterRtpCapabilitiesParams } from '@confer/signaling-contracts';

/** Room ids: letters, digits, `-` and `_`, 1 to 64 characters. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export class GetRouterRtpCapabilitiesDto implements GetRouterRtpCapabilitiesParams {
  @IsString() @Matches(ROOM_ID_PATTERN, { message: 'roomId must be 1-64 letters, digits, - or _' }) roomId!: string;
}
