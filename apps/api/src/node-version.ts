/**
 * The oldest Node.js the API runs on (mediasoup 3.27 needs it); package.json's
 * `engines.node` says the same, and a unit test keeps the two equal.
 */
export const MIN_NODE_VERSION = '22.22.0';

/** True when `version` (e.g. `20.20.2`) is at least {@link MIN_NODE_VERSION}. */
export function isSupportedNode(version: string): boolean {
  const have = version.replace(/^v/, '').split('.').map(Number);
  const need = MIN_NODE_VERSION.split('.').map(Number);
  for (let i = 0; i < need.length; i++) {
    const h = have[i] ?? 0;
    if (h !== need[i]) return h > need[i];
  }
  return true;
}

/** Stops the process with a one-line explanation on a Node.js that is too old. Imported first by main.ts. */
export function assertSupportedNode(version: string = process.versions.node): void {
  if (isSupportedNode(version)) return;
  process.stderr.write(
    `Confer API needs Node.js >= ${MIN_NODE_VERSION}; this is Node.js ${version} (${process.execPath}). ` +
      `Run it with a newer Node.js (npm start / npm test install one into .tools/node).\n`,
  );
  process.exit(1);
}

assertSupportedNode();
