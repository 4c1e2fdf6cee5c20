import { createServer } from 'node:net';

/** The operator's message for a failed `listen()` on HOST:PORT. */
export function describeListenError(error: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `${host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the port is already in use by another process; stop it or set PORT to a free port`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); set PORT to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: HOST=${host} is not an address of this machine`;
    default:
      return `cannot listen on ${where}: ${error.message}`;
  }
}

/**
 * Rejects with {@link describeListenError}'s message when HOST:PORT cannot be
 * bound, by binding it for a moment. Port 0 (any free port) always passes.
 */
export function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(new Error(describeListenError(error, host, port))));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
