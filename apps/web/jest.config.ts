import presets from 'jest-preset-angular/presets/index.js';
import { moduleNameMapper } from '../../jest.preset.js';

export default {
  ...presets.createCjsPreset({ tsconfig: '<rootDir>/tsconfig.spec.json' }),
  displayName: 'web',
  setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
  moduleNameMapper,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
