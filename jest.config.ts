import type { Config } from 'jest';

// Root jest config: every project's own jest.config.ts, so `jest` at the root runs
// the whole unit suite and `nx test <project>` runs one.
const config: Config = {
  projects: [
    '<rootDir>/libs/signaling-contracts/jest.config.ts',
    '<rootDir>/libs/media/jest.config.ts',
    '<rootDir>/apps/api/jest.config.ts',
    '<rootDir>/apps/web/jest.config.ts',
    '<rootDir>/tools/jest.config.ts',
  ],
  // Protocol scenarios spawn mediasoup workers and sockets; on a 2-core machine
  // one test file at a time keeps timings honest.
  maxWorkers: 1,
};

export default config;
