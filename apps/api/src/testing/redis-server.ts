import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './free-port';

/** A throw-away redis-server on 127.0.0.1 (no persistence), started by a test file and stopped by it. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The PID of the redis-server this helper started (the only process `stop()` signals). */
  readonly pid: number;
  /** SIGTERM to that PID, SIGKILL after 3 s; resolves when it exited. Idempotent. */
  stop(): Promise<void>;
  /** Stops it and starts a fresh one on the same port (a Redis restart: every key is gone). */
  restart(): Promise<void>;
}

/** REDIS_SERVER_BIN, else Debian's /usr/bin/redis-server; null when neither is there. */
export function redisServerBin(): string | null {
  const configured = process.env['REDIS_SERVER_BIN'];
  if (configured) return existsSync(configured) ? configured : null;
  return existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : null;
}

/**
 * Whether the Redis suites can run here, and why not. In CI a missing
 * redis-server is a failure, not a skip (`.ci/run` installs it with tools/ensure-redis.sh).
 */
export function redisAvailability(): { available: boolean; why?: string } {
  const bin = redisServerBin();
  if (!bin && process.env['CI']) throw new Error('redis-server missing in CI (tools/ensure-redis.sh installs it)');
  return bin ? { available: true } : { available: false, why: 'no redis-server (tools/ensure-redis.sh installs Debian\'s package)' };
}

/** Spawns redis-server on `port` and resolves once it accepts connections. */
function spawnRedis(bin: string, port: number): Promise<ChildProcess> {
  // Loopback only, nothing written to disk, in the foreground, logs on stdout.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'notice', '--logfile', ''];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within 10 s on port ${port}: ${output.slice(-500)}`)), 10_000);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      reject(error);
    };
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        // Keep draining the pipes so that redis-server never blocks on a full one.
        child.stdout?.removeListener('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`redis-server exited (${code ?? signal}) before it was ready: ${output.slice(-500)}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    // Only the PID this helper spawned is ever signalled.
    child.kill('SIGTERM');
  });
}

/**
 * Starts a redis-server on a free loopback port with `--save '' --appendonly no`.
 * Call `stop()` in `afterAll`; a test process that dies leaves it orphaned, so
 * keep one per test file.
 */
export async function startRedis(bin = redisServerBin()): Promise<RedisServer> {
  if (!bin) throw new Error(redisAvailability().why);
  const port = await freePort();
  let child = await spawnRedis(bin, port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    stop: () => stopChild(child),
    async restart() {
      await stopChild(child);
      child = await spawnRedis(bin, port);
    },
  };
}
