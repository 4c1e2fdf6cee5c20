import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DOC_PATH, generateProtocolDoc } from './generate';

// Read from source: the tools project may not import the contract lib (module boundaries).
const methodsSource = readFileSync(path.resolve(__dirname, '../../libs/signaling-contracts/src/lib/methods.ts'), 'utf8');
function listed(constant: string): string[] {
  const body = new RegExp(`${constant} = \\[([^\\]]*)\\]`).exec(methodsSource)?.[1] ?? '';
  return [...body.matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1]);
}
const CLIENT_REQUEST_METHODS = listed('CLIENT_REQUEST_METHODS');
const SERVER_REQUEST_METHODS = listed('SERVER_REQUEST_METHODS');
const SERVER_NOTIFICATION_METHODS = listed('SERVER_NOTIFICATION_METHODS');

describe('docs/PROTOCOL.md', () => {
  const generated = generateProtocolDoc();

  it('is up to date with libs/signaling-contracts (run `nx run signaling-contracts:protocol-doc`)', () => {
    expect(readFileSync(DOC_PATH, 'utf8')).toBe(generated);
  });

  it('documents every method of every direction', () => {
    // Media, chat and files (30 / 3 / 18), moderation (+9 / +9), recording (+3 / +1).
    expect([CLIENT_REQUEST_METHODS.length, SERVER_REQUEST_METHODS.length, SERVER_NOTIFICATION_METHODS.length]).toEqual([42, 3, 28]);
    for (const list of [CLIENT_REQUEST_METHODS, SERVER_REQUEST_METHODS, SERVER_NOTIFICATION_METHODS]) expect(new Set(list).size).toBe(list.length);
    for (const m of CLIENT_REQUEST_METHODS) expect(generated).toContain(`<a id="client-${m.toLowerCase()}"></a>`);
    for (const m of SERVER_REQUEST_METHODS) expect(generated).toContain(`<a id="server-request-${m.toLowerCase()}"></a>`);
    for (const m of SERVER_NOTIFICATION_METHODS) expect(generated).toContain(`<a id="notification-${m.toLowerCase()}"></a>`);
  });
});
