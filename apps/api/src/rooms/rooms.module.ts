import { Module } from '@nestjs/common';
import { RoomSettingsModule } from '../room-settings/room-settings.module';
import { WorkersModule } from '../workers/workers.module';
import { RoomRoutersService } from './room-routers.service';
import { RouterPipeService } from './router-pipe.service';
import { RoomsService } from './rooms.service';

/** The room registry and each room's routers; above the worker pool, below media. */
@Module({
  imports: [WorkersModule, RoomSettingsModule],
  providers: [RoomsService, RoomRoutersService, RouterPipeService],
  exports: [RoomsService, RoomRoutersService, RouterPipeService, WorkersModule, RoomSettingsModule],
})
export class RoomsModule {}
