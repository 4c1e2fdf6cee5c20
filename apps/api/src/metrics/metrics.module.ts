import { Module } from '@nestjs/common';
import { MediasoupModule } from '../media/mediasoup.module';
import { PeersModule } from '../peers/peers.module';
import { RoomsModule } from '../rooms/rooms.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [RoomsModule, PeersModule, MediasoupModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
