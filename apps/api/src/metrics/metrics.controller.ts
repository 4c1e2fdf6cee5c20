import { Controller, Get, Header } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/** `GET /metrics` in Prometheus text format. */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get(['metrics', 'api/metrics'])
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
