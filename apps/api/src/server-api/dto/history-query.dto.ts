import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ROOM_ID_PATTERN } from '../../rooms/dto/room.dto';
import { PageQueryDto } from './page.dto';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only this room.' })
  @IsOptional() @IsString() @Matches(ROOM_ID_PATTERN) roomId?: string;

  @ApiPropertyOptional({ description: 'Only this action, e.g. `moderation.mute`.' })
  @IsOptional() @IsString() @Length(1, 128) action?: string;
}

export class MeetingQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only this room.' })
  @IsOptional() @IsString() @Matches(ROOM_ID_PATTERN) roomId?: string;
}

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only the attempts for this event id (`Confer-Event-Id`).' })
  @IsOptional() @IsString() @Length(1, 64) eventId?: string;

  @ApiPropertyOptional({ enum: ['delivered', 'retrying', 'gave_up'] })
  @IsOptional() @IsIn(['delivered', 'retrying', 'gave_up']) outcome?: string;
}
