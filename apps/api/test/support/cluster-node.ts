/**
 * One node of a test cluster, as a process: the API configured from the
 * environment like main.ts, with mediasoup chosen by CLUSTER_TEST_BACKEND
 * (`fake`: the test double, `real`: the worker), SIGTERM handled by the real
 * drain (installGracefulShutdown). Prints `READY <port>` once listening.
 */
import 'reflect-metadata';
import { installGracefulShutdown } from '../../src/app/configure-app';
import { loadConfig } from '../../src/config/app-config';
import { FakeMediasoup, fakeMediasoupSource } from '../../src/testing/mediasoup-double';
import { createAppWith } from '../../src/testing/create-app-with';
import { realMediasoup } from '../../src/workers/mediasoup-api';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const source = process.env['CLUSTER_TEST_BACKEND'] === 'real' ? realMediasoup : fakeMediasoupSource(new FakeMediasoup());
  const app = await createAppWith(config, source);
  await app.listen(config.port, config.host);
  installGracefulShutdown(app);
  process.stdout.write(`READY ${config.port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`cluster-node: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
