import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ROLES, type Role } from '@confer/signaling-contracts';
import { ROOM_ID_PATTERN } from '../../rooms/dto/room.dto';

/** Body of `POST /api/dev/token`. */
export class DevTokenDto {
  @IsString() @Length(1, 64) displayName!: string;
  @IsString() @Matches(ROOM_ID_PATTERN) roomId!: string;
  /** Default `host` (the developer runs the meeting). */
  @IsOptional() @IsIn(ROLES) role?: Role;
}
