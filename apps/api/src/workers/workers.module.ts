import { Module } from '@nestjs/common';
import { MEDIASOUP_API, realMediasoup } from './mediasoup-api';
import { MediasoupService } from './mediasoup.service';

/** The worker pool. Tests replace {@link MEDIASOUP_API} with the test double. */
@Module({
  providers: [{ provide: MEDIASOUP_API, useValue: realMediasoup }, MediasoupService],
  exports: [MediasoupService],
})
export class MediasoupModule {}
