import { Module } from '@nestjs/common';
import { RoomSettingsService } from './room-settings.service';

/** Each room's lobby, lock, capacity and participant permissions. */
@Module({
  providers: [RoomSettingsService],
  exports: [RoomSettingsService],
})
export class RoomSettingsModule {}
