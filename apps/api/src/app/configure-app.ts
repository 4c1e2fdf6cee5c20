import { existsSync } from 'node:fs';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { SIGNALING_PATH } from '@confer/signaling-contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { serveOpenApi } from '../server-api/openapi';
import { ServerApiPathFilter } from '../server-api/server-api-error.filter';
import { SignalingWsAdapter } from '../signaling/signaling-ws.adapter';
import { SignalingGateway } from '../signaling/signaling.gateway';

/** Paths the API itself answers: never shadowed by the web app's files or its SPA fallback. */
export const SERVER_PATHS = ['/api', '/health', '/metrics', SIGNALING_PATH] as const;

export function isServerPath(requestPath: string): boolean {
  return SERVER_PATHS.some((p) => requestPath === p || requestPath.startsWith(`${p}/`));
}

/** Everything main.ts and the protocol tests both need on an app before `listen()`. */
export function configureApp(app: NestExpressApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  app.useLogger(app.get(Logger));
  app.useWebSocketAdapter(new SignalingWsAdapter(app, config.limits.maxMessageBytes, config.allowedOrigins));
  // Browsers on other origins may call the HTTP API only when listed; same-origin needs no CORS.
  const allowed = config.allowedOrigins;
  app.enableCors({ origin: allowed === '*' ? true : (origin, done) => done(null, origin !== undefined && allowed.includes(origin)) });
  // SIGTERM is handled by installGracefulShutdown() (drain first); SIGINT/SIGHUP close at once.
  app.enableShutdownHooks(['SIGINT', 'SIGHUP']);
  serveOpenApi(app);
  app.useGlobalFilters(new ServerApiPathFilter(app.getHttpAdapter()));
  if (config.webRoot) {
    const root = path.resolve(config.webRoot);
    app.useStaticAssets(root, { index: 'index.html' });
    const index = path.join(root, 'index.html');
    // SPA fallback: a browser navigating to a client-side route gets index.html;
    // the server's own paths (API, health, metrics, signaling) never do.
    app.use((req: { method: string; path: string; headers: Record<string, string | string[] | undefined> }, res: { sendFile(file: string): void }, next: () => void) => {
      const accept = String(req.headers['accept'] ?? '');
      if (req.method !== 'GET' || isServerPath(req.path) || !accept.includes('text/html') || !existsSync(index)) return next();
      res.sendFile(index);
    });
  }
}

/**
 * SIGTERM (orchestrators, systemd): drain — refuse joins, `serverShutdown` with
 * SHUTDOWN_DRAIN_MS, wait for peers to leave — then close the app (workers
 * included) and exit 0. A second SIGTERM or a stuck close exits at once.
 */
export function installGracefulShutdown(app: NestExpressApplication, exit: (code: number) => void = (code) => process.exit(code)): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  const logger = app.get(Logger);
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return exit(1);
    stopping = true;
    setTimeout(() => {
      logger.error('shutdown took too long; exiting', 'Shutdown');
      exit(1);
    }, config.shutdownDrainMs + 15_000).unref();
    app
      .get(SignalingGateway)
      .drain('SIGTERM')
      .then(() => app.close())
      .then(
        () => {
          logger.log('shutdown complete', 'Shutdown');
          exit(0);
        },
        (error: Error) => {
          logger.error(`shutdown failed: ${error.stack}`, 'Shutdown');
          exit(1);
        },
      );
  });
}
