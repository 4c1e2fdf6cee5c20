import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where a worker binary was found, or why none was. */
export interface WorkerBinResolution {
  /** Absolute path of the binary, or null when there is none. */
  path: string | null;
  /** `env` (MEDIASOUP_WORKER_BIN), `system` (documented location), `package` (mediasoup's prebuilt) or `none`. */
  source: 'env' | 'system' | 'package' | 'none';
  /** Human-readable explanation, logged at start-up and sent with `media_unavailable`. */
  detail: string;
}

/** The documented system-wide location for a worker built for `version`. */
export function systemWorkerPath(version: string): string {
  return `/usr/local/lib/mediasoup/mediasoup-worker-${version}`;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The one place that decides which mediasoup-worker binary the API uses:
 * 1. `MEDIASOUP_WORKER_BIN` when set (must exist and be executable);
 * 2. `/usr/local/lib/mediasoup/mediasoup-worker-<mediasoup version>`;
 * 3. the prebuilt binary mediasoup's postinstall put in its package.
 * mediasoup reads `MEDIASOUP_WORKER_BIN` when it is first imported, so callers
 * set it from the result before importing mediasoup.
 */
export function resolveWorkerBin(
  env: NodeJS.ProcessEnv = process.env,
  mediasoupVersion: string = readMediasoupVersion(),
  packageDir: string = mediasoupPackageDir(),
): WorkerBinResolution {
  const fromEnv = env['MEDIASOUP_WORKER_BIN'];
  if (fromEnv) {
    if (isExecutable(fromEnv)) {
      return { path: path.resolve(fromEnv), source: 'env', detail: `MEDIASOUP_WORKER_BIN=${fromEnv}` };
    }
    return {
      path: null,
      source: 'none',
      detail: `MEDIASOUP_WORKER_BIN=${fromEnv} is not an executable file; ${howToSupply(mediasoupVersion)}`,
    };
  }
  const system = systemWorkerPath(mediasoupVersion);
  if (isExecutable(system)) {
    return { path: system, source: 'system', detail: `${system} (system-wide location)` };
  }
  const bundled = path.join(packageDir, 'worker', 'out', 'Release', 'mediasoup-worker');
  if (isExecutable(bundled)) {
    return { path: bundled, source: 'package', detail: `${bundled} (mediasoup prebuilt)` };
  }
  return { path: null, source: 'none', detail: `no mediasoup-worker found; ${howToSupply(mediasoupVersion)}` };
}

/** The advice given wherever a worker is missing. */
export function howToSupply(version: string): string {
  return (
    `set MEDIASOUP_WORKER_BIN to an executable mediasoup-worker built for mediasoup ${version}, ` +
    `or install one at ${systemWorkerPath(version)}, ` +
    `or reinstall on a machine that can download mediasoup's prebuilt worker (npm rebuild mediasoup)`
  );
}

/** mediasoup's package folder (its entry point is `node/lib/index.js`). */
function mediasoupPackageDir(): string {
  return path.resolve(path.dirname(require.resolve('mediasoup')), '..', '..');
}

/** Read without importing mediasoup, which would fix its worker path too early. */
function readMediasoupVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(mediasoupPackageDir(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
