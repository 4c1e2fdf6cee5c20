import { Module } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module';
import { RecordingControlService } from './recording-control.service';
import { RecordingLibraryService } from './recording-library.service';
import { RecordingService } from './recording.service';

/** Server-side recording; above rooms (it taps the rooms' producers), below sessions, moderation, signaling and the server API. */
@Module({
  imports: [RoomsModule],
  providers: [RecordingService, RecordingControlService, RecordingLibraryService],
  exports: [RecordingService, RecordingControlService, RecordingLibraryService],
})
export class RecordingModule {}
