import { Module } from '@nestjs/common';
import { MediasoupModule } from '../media/mediasoup.module';
import { RoomsService } from './rooms.service';

@Module({
  imports: [MediasoupModule],
  providers: [RoomsService],
  exports: [RoomsService],
})
export class RoomsModule {}
