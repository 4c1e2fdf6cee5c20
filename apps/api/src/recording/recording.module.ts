import { Module } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module';
import { RecordingService } from './recording.service';

/** Server-side recording; above rooms (it taps the rooms' producers), below signaling and the server API. */
@Module({
  imports: [RoomsModule],
  providers: [RecordingService],
  exports: [RecordingService],
})
export class RecordingModule {}
