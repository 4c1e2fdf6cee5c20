import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { HistoryModule } from '../history/history.module';
import { ModerationModule } from '../moderation/moderation.module';
import { RecordingModule } from '../recording/recording.module';
import { RoomsModule } from '../rooms/rooms.module';
import { SessionsModule } from '../sessions/sessions.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ApiKeyGuard } from './api-key.guard';
import { AuditInterceptor } from './audit.interceptor';
import { ClusterApiController } from './cluster-api.controller';
import { ClusterForwardMiddleware } from './cluster-forward.middleware';
import { HistoryApiController } from './history-api.controller';
import { ParticipantsApiController } from './participants-api.controller';
import { RecordingsApiController } from './recordings-api.controller';
import { RoomDirectoryService } from './room-directory.service';
import { RoomsApiController } from './rooms-api.controller';

/** The portal's REST API under /api/v1 (API_KEYS), documented at /api/docs and /api/openapi.json. */
@Module({
  imports: [ModerationModule, SessionsModule, RoomsModule, HistoryModule, WebhooksModule, RecordingModule],
  controllers: [RoomsApiController, ParticipantsApiController, HistoryApiController, RecordingsApiController, ClusterApiController],
  providers: [RoomDirectoryService, ApiKeyGuard, AuditInterceptor],
})
export class ServerApiModule implements NestModule {
  /** Room calls reaching a node that does not own the room go to the owner (cluster mode). */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ClusterForwardMiddleware).forRoutes(RoomsApiController, ParticipantsApiController, RecordingsApiController);
  }
}
