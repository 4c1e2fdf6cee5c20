import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { HistoryModule } from '../history/history.module';
import { RecordingModule } from '../recording/recording.module';
import { RoomsModule } from '../rooms/rooms.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ModerationService } from './moderation.service';

/** Moderation acts (signaling and server API); above sessions, below signaling and the server API. */
@Module({
  imports: [SessionsModule, RoomsModule, HistoryModule, ChatModule, RecordingModule],
  providers: [ModerationService],
  exports: [ModerationService],
})
export class ModerationModule {}
