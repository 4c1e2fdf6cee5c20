import { existsSync } from 'node:fs';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { SIGNALING_PATH } from '@confer/signaling-contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SignalingWsAdapter } from '../signaling/signaling-ws.adapter';

/** Everything main.ts and the protocol tests both need on an app before `listen()`. */
export function configureApp(app: NestExpressApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  app.useLogger(app.get(Logger));
  app.useWebSocketAdapter(new SignalingWsAdapter(app, config.limits.maxMessageBytes));
  app.enableShutdownHooks();
  if (config.webRoot) {
    const root = path.resolve(config.webRoot);
    app.useStaticAssets(root, { index: 'index.html' });
    const index = path.join(root, 'index.html');
    // SPA fallback: client-side routes load index.html; API and signaling paths never do.
    app.use((req: { method: string; path: string; accepts(type: string): unknown }, res: { sendFile(file: string): void }, next: () => void) => {
      if (req.method !== 'GET' || req.path.startsWith('/api/') || req.path === SIGNALING_PATH || !req.accepts('html') || !existsSync(index)) return next();
      res.sendFile(index);
    });
  }
}
