import { Module } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module';
import { MediaService } from './media.service';
import { MediasoupModule } from './mediasoup.module';

@Module({
  imports: [MediasoupModule, RoomsModule],
  providers: [MediaService],
  exports: [MediaService, MediasoupModule],
})
export class MediaModule {}
