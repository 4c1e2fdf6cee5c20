import { Module } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module';
import { DataChannelsService } from './data-channels.service';
import { MediaAccessService } from './media-access.service';
import { ProducersService } from './producers.service';
import { SubscriptionsService } from './subscriptions.service';
import { TransportsService } from './transports.service';

/** Transports, producers, consumer fan-out and data channels; above rooms, below sessions and signaling. */
@Module({
  imports: [RoomsModule],
  providers: [MediaAccessService, TransportsService, ProducersService, SubscriptionsService, DataChannelsService],
  exports: [TransportsService, ProducersService, SubscriptionsService, DataChannelsService, RoomsModule],
})
export class MediaModule {}
