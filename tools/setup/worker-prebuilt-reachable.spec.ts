import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * tools/worker-prebuilt-reachable.mjs decides, before mediasoup's postinstall
 * runs, whether the prebuilt worker can be downloaded: an offline machine must
 * give up in seconds (the postinstall would otherwise try a slow source build).
 * Tested against a local HTTP server standing in for the release host.
 */
const SCRIPT = path.join(__dirname, '..', 'worker-prebuilt-reachable.mjs');

function probe(baseUrl: string, timeoutMs = 2000): Promise<{ code: number; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT], { env: { ...process.env, MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL: baseUrl, CONFER_WORKER_PROBE_TIMEOUT_MS: String(timeoutMs) } }, (error, stdout) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout.trim(), ms: Date.now() - started }),
    );
  });
}

async function serve(handler: (url: string) => number | 'hang'): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const status = handler(req.url ?? '');
    if (status === 'hang') return;
    res.writeHead(status).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/releases`, server, seen };
}

describe('worker-prebuilt-reachable.mjs', () => {
  it('asks for the same file as mediasoup (version, platform, arch, kernel) and says reachable on 200', async () => {
    const host = await serve(() => 200);
    try {
      const result = await probe(host.url);
      expect(result).toMatchObject({ code: 0, out: 'reachable (HTTP 200)' });
      expect(host.seen[0]).toMatch(/^HEAD \/releases\/3\.27\.1\/mediasoup-worker-3\.27\.1-linux-x64-kernel\d+\.tgz$/);
    } finally {
      host.server.close();
    }
  });

  it('says there is no prebuilt for this platform on 404', async () => {
    const host = await serve(() => 404);
    try {
      expect(await probe(host.url)).toMatchObject({ code: 1, out: expect.stringMatching(/^no prebuilt worker for this platform/) });
    } finally {
      host.server.close();
    }
  });

  it('gives up within its timeout when the host does not answer, and at once when nothing listens', async () => {
    const host = await serve(() => 'hang');
    try {
      const hung = await probe(host.url, 1000);
      expect(hung.code).toBe(1);
      expect(hung.out).toMatch(/cannot be reached \(no answer within 1000 ms\)/);
      expect(hung.ms).toBeLessThan(5000);
    } finally {
      host.server.closeAllConnections();
      host.server.close();
    }
    // A port nothing listens on (taken, then freed).
    const closed = await serve(() => 200);
    const { port } = closed.server.address() as AddressInfo;
    await new Promise((r) => closed.server.close(r));
    const refused = await probe(`http://127.0.0.1:${port}/releases`);
    expect(refused).toMatchObject({ code: 1, out: expect.stringMatching(/cannot be reached \(ECONNREFUSED\)/) });
    expect(refused.ms).toBeLessThan(5000);
  });
});
