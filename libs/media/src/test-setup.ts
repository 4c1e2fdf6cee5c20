import { webcrypto } from 'node:crypto';
import { setupZonelessTestEnv } from 'jest-preset-angular/setup-env/zoneless';

setupZonelessTestEnv();

// jsdom has no WebCrypto digest; the SDK hashes files with crypto.subtle like a browser.
if (!globalThis.crypto?.subtle) {
  Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
}

// The SDK logs reconnections and refusals with console.warn; tests provoke them on purpose.
beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
