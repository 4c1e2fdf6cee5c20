import { Controller, Get } from '@nestjs/common';
import { MediasoupService } from '../media/mediasoup.service';
import { RoomsService } from '../rooms/rooms.service';

/** `GET /health` (and `/api/health`, through the web dev proxy): liveness plus whether media is available and why not. */
@Controller()
export class HealthController {
  constructor(
    private readonly mediasoup: MediasoupService,
    private readonly rooms: RoomsService,
  ) {}

  @Get(['health', 'api/health'])
  health(): { status: 'ok'; mediaAvailable: boolean; media: string; workers: number; rooms: number } {
    return {
      status: 'ok',
      mediaAvailable: this.mediasoup.available,
      media: this.mediasoup.unavailable ?? this.mediasoup.workerResolution.detail,
      workers: this.mediasoup.workerEntries.length,
      rooms: this.rooms.all().length,
    };
  }
}
