import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');

/** A bench-server.ts child process (the API in its own process, so its RSS and CPU are its own). */
export interface ServerProcess {
  pid: number;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
  /** Asks the server to collect garbage, then waits a moment. */
  gc(): Promise<void>;
  /** Starts the server's event-loop delay and GC pause statistics afresh. */
  markLoop(): void;
  /** The server's event-loop delay and GC pauses since `markLoop()`. */
  readLoop(): Promise<LoopStats>;
}

/** The server's main thread over a measurement (bench-server.ts): event-loop delay and GC pauses, ms. */
export interface LoopStats {
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  gcCount: number;
  gcTotalMs: number;
  gcP99Ms: number;
  gcMaxMs: number;
  heapUsedMiB: number;
  /** The server's own request-duration histogram over the measurement: count by `method|le` (seconds). */
  requestBuckets: Record<string, number>;
}

/** Starts the API with `env` on top of the benchmark defaults; rejects after `timeoutMs`. */
export function startServer(backend: 'fake' | 'real', env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--expose-gc', '-r', '@swc-node/register', path.join(ROOT, 'tools/bench/support/bench-server.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      SWC_NODE_PROJECT: path.join(ROOT, 'apps/api/tsconfig.serve.json'),
      BENCH_BACKEND: backend,
      HOST: '127.0.0.1',
      PORT: '0',
      RTC_LISTEN_IP: '127.0.0.1',
      LOG_LEVEL: 'silent',
      MEDIASOUP_LOG_LEVEL: 'error',
      RESUME_GRACE_MS: '0',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`server did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m && child.pid) {
        clearTimeout(timer);
        const gc = async (): Promise<void> => {
          child.stdin?.write('gc\n');
          await new Promise((r) => setTimeout(r, 300));
        };
        const markLoop = (): void => void child.stdin?.write('mark\n');
        const readLoop = (): Promise<LoopStats> =>
          new Promise((resolveLoop, rejectLoop) => {
            let line = '';
            const timeout = setTimeout(() => {
              child.stdout?.off('data', onData);
              rejectLoop(new Error('the server did not print its loop statistics'));
            }, 5000);
            const onData = (chunk: Buffer): void => {
              line += chunk.toString();
              const found = /LOOP (\{.*\})\n/.exec(line);
              if (!found) return;
              clearTimeout(timeout);
              child.stdout?.off('data', onData);
              resolveLoop(JSON.parse(found[1]) as LoopStats);
            };
            child.stdout?.on('data', onData);
            child.stdin?.write('loop\n');
          });
        resolve({ pid: child.pid, port: Number(m[1]), child, stop, gc, markLoop, readLoop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
}
