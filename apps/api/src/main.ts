import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { AppModule } from './app/app.module';
import { resolveWorkerBin } from './media/worker-bin';

async function bootstrap(): Promise<void> {
  const worker = resolveWorkerBin();
  const app = await NestFactory.create(AppModule);
  app.useWebSocketAdapter(new WsAdapter(app));
  const port = Number(process.env['PORT'] ?? 3000);
  await app.listen(port, process.env['HOST'] ?? '127.0.0.1');
  Logger.log(`listening on ${port}; worker: ${worker.detail}`, 'Bootstrap');
}

void bootstrap();
