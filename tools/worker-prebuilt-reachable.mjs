// Can mediasoup's postinstall download its prebuilt worker from here? Asks the
// same address mediasoup's npm-scripts.mjs would (derived from the installed
// mediasoup package: its repository URL, version, platform, arch and kernel,
// or MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL), with a short timeout, so
// that an offline machine gives up in seconds instead of trying to build the
// worker from source. Exit 0: reachable; 1: not (the reason on stdout).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TIMEOUT_MS = Number(process.env.CONFER_WORKER_PROBE_TIMEOUT_MS ?? 6000);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'node_modules/mediasoup/package.json'), 'utf8'));

// The same name and address as mediasoup's getWorkerPrebuildTarName() and downloadPrebuiltWorker().
let tar = `mediasoup-worker-${pkg.version}-${os.platform()}-${os.arch()}`;
if (os.platform() === 'linux') tar += `-kernel${Number(os.release().split('.')[0])}`;
tar += '.tgz';
const base =
  process.env.MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL ||
  `${String(pkg.repository?.url ?? pkg.repository).replace(/^git\+/, '').replace(/\.git$/, '')}/releases/download`;
const url = `${base}/${pkg.version}/${tar}`;

try {
  const res = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (res.status === 404) {
    console.log(`no prebuilt worker for this platform (${tar})`);
    process.exit(1);
  }
  console.log(`reachable (HTTP ${res.status})`);
  process.exit(0);
} catch (error) {
  const cause = error?.cause?.code ?? (error?.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS} ms` : (error?.cause?.message ?? error?.message ?? String(error)));
  console.log(`the prebuilt worker's download address cannot be reached (${cause})`);
  process.exit(1);
}
