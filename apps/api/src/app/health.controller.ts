import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { RoomsService } from '../rooms/rooms.service';
import { WorkerPoolService } from '../workers/worker-pool.service';

/**
 * Health endpoints. `GET /health/live` (liveness): the process serves HTTP.
 * `GET /health/ready` (readiness, 503 when down): at least one live mediasoup
 * worker and not draining — a load balancer stops sending new calls here.
 * `GET /health` (and `/api/health` through the web dev proxy) keeps the
 * descriptive summary the web app shows.
 */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly pool: WorkerPoolService,
    private readonly rooms: RoomsService,
    private readonly shutdown: ShutdownState,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get(['health', 'api/health'])
  summary(): { status: 'ok'; mediaAvailable: boolean; media: string; workers: number; rooms: number; draining: boolean; devTokens: boolean } {
    return {
      status: 'ok',
      mediaAvailable: this.pool.available,
      media: this.pool.unavailable ?? `${this.pool.liveWorkerCount} mediasoup worker(s) running`,
      workers: this.pool.liveWorkerCount,
      rooms: this.rooms.all().length,
      draining: this.shutdown.draining,
      // The join screen warns "open Confer from your portal" up front when there are no dev tokens.
      devTokens: this.config.auth.devTokens,
    };
  }

  @Get(['health/live', 'api/health/live'])
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.check('process').up({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) })]);
  }

  @Get(['health/ready', 'api/health/ready'])
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.workers(), () => this.accepting()]);
  }

  private workers(): HealthIndicatorResult<'mediasoup'> {
    const check = this.indicators.check('mediasoup');
    const live = this.pool.liveWorkerCount;
    if (live > 0) return check.up({ liveWorkers: live });
    return check.down({ liveWorkers: 0, reason: this.pool.unavailable ?? 'no live mediasoup worker' });
  }

  private accepting(): HealthIndicatorResult<'signaling'> {
    const check = this.indicators.check('signaling');
    return this.shutdown.draining ? check.down({ draining: true }) : check.up({ draining: false });
  }
}
