// First, before anything that may not load on an old Node.js: say so plainly and stop.
import './node-version';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app/app.module';
import { configureApp, installGracefulShutdown } from './app/configure-app';
import { assertPortFree, describeListenError } from './app/listen';
import { APP_CONFIG, ConfigError, loadConfig, type AppConfig } from './config/app-config';

/** A start-up failure the operator must fix: one message on stderr, exit 1. */
function fatal(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    // Before Nest starts, so the message is the only output.
    if (error instanceof ConfigError) fatal(error.message);
    throw error;
  }
  // A worker named in CONFIG_FILE is used like one named in the environment.
  if (config.media.workerBin) process.env['MEDIASOUP_WORKER_BIN'] = config.media.workerBin;
  // Before the workers start: a port that is taken is the operator's to fix, not a stack trace.
  await assertPortFree(config.host, config.port).catch((error: Error) => fatal(error.message));
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true });
  configureApp(app);
  try {
    await app.listen(app.get<AppConfig>(APP_CONFIG).port, config.host);
  } catch (error) {
    await app.close().catch(() => undefined);
    fatal(describeListenError(error as NodeJS.ErrnoException, config.host, config.port));
  }
  installGracefulShutdown(app);
}

void bootstrap();
