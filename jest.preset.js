// Shared jest settings. Node-side projects compile with SWC (the same options as
// the API build); Angular projects use jest-preset-angular (see their configs).
const path = require('node:path');
const swcOptions = require('./tools/swc-options.cjs');

const root = __dirname;

const moduleNameMapper = {
  '^@confer/signaling-contracts$': path.join(root, 'libs/signaling-contracts/src/index.ts'),
  '^@confer/media$': path.join(root, 'libs/media/src/index.ts'),
};

/** Preset for Node-side projects (api, contracts, tools). */
function nodeProject(name) {
  return {
    displayName: name,
    testEnvironment: 'node',
    transform: { '^.+\\.ts$': ['@swc/jest', { ...swcOptions(), swcrc: false }] },
    moduleFileExtensions: ['ts', 'js', 'json'],
    moduleNameMapper,
    testMatch: ['<rootDir>/**/*.spec.ts'],
  };
}

module.exports = { nodeProject, moduleNameMapper, root };
