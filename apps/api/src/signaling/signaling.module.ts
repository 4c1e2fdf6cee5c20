import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { EdgeModule } from '../edge/edge.module';
import { FilesModule } from '../files/files.module';
import { MediaModule } from '../media/media.module';
import { MetricsModule } from '../metrics/metrics.module';
import { ModerationModule } from '../moderation/moderation.module';
import { RecordingModule } from '../recording/recording.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SignalingDispatcher } from './signaling-dispatcher';
import { SignalingExceptionFilter } from './signaling-exception.filter';
import { SignalingGateway } from './signaling.gateway';
import { SignalingRoutes } from './signaling-routes';

@Module({
  imports: [SessionsModule, MediaModule, ChatModule, FilesModule, MetricsModule, ModerationModule, RecordingModule, EdgeModule],
  providers: [SignalingGateway, SignalingDispatcher, SignalingRoutes, SignalingExceptionFilter],
  exports: [SignalingGateway],
})
export class SignalingModule {}
