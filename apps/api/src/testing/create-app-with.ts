import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { MEDIASOUP_API, type MediasoupApiSource } from '../workers/mediasoup-api';
import { AppModule } from '../app/app.module';
import { configureApp } from '../app/configure-app';

/**
 * The API's AppModule, configured as main.ts configures it, but with a given
 * configuration and mediasoup source (the real one or the test double). Used by
 * the protocol tests and the benchmarks; not by main.ts (it has no @nestjs/testing).
 */
export async function createAppWith(config: AppConfig, mediasoup: MediasoupApiSource): Promise<NestExpressApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(APP_CONFIG)
    .useValue(config)
    .overrideProvider(MEDIASOUP_API)
    .useValue(mediasoup)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: false });
  configureApp(app);
  return app;
}
