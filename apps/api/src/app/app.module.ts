import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from '../auth/auth.module';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { MediaModule } from '../media/media.module';
import { RoomsModule } from '../rooms/rooms.module';
import { SignalingModule } from '../signaling/signaling.module';
import { HealthController } from './health.controller';

@Module({
  imports: [
    ConfigModule,
    LifecycleModule,
    // Readiness failures are expected (no worker, draining): the 503 body says why, no error log.
    TerminusModule.forRoot({ logger: false }),
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          // Request ids: the caller's X-Request-Id when it sends one (proxies), else a new one; echoed back.
          genReqId: (req: IncomingMessage, res: ServerResponse) => {
            const given = req.headers['x-request-id'];
            const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
            res.setHeader('x-request-id', id);
            return id;
          },
          // Access logs for API calls; probes and scrapes would drown them.
          autoLogging: { ignore: (req: IncomingMessage) => /^\/(api\/)?(health|metrics)\b/.test(req.url ?? '') },
          base: { service: 'confer-api', pid: process.pid, hostname: hostname() },
          transport: process.stdout.isTTY && config.logLevel !== 'silent' ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
        },
      }),
    }),
    AuthModule,
    RoomsModule,
    MediaModule,
    SignalingModule,
  ],
  controllers: [HealthController],
})
export class AppModule {}
