import { setupZonelessTestEnv } from 'jest-preset-angular/setup-env/zoneless';

setupZonelessTestEnv();

// The SDK and the token service log refusals with console.warn; tests provoke them on purpose.
beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
