import { Module } from '@nestjs/common';
import { WorkersModule } from '../workers/workers.module';
import { RoomRoutersService } from './room-routers.service';
import { RouterPipeService } from './router-pipe.service';
import { RoomsService } from './rooms.service';

/** The room registry and each room's routers; above the worker pool, below media. */
@Module({
  imports: [WorkersModule],
  providers: [RoomsService, RoomRoutersService, RouterPipeService],
  exports: [RoomsService, RoomRoutersService, RouterPipeService, WorkersModule],
})
export class RoomsModule {}
