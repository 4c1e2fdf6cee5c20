// One SWC configuration for the API: build (tools/build-api.mjs), `nx serve api`
// (via @swc-node/register reading tsconfig) and jest (@swc/jest). Nest needs
// legacy decorators with emitted metadata for constructor injection.
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** @returns {import('@swc/core').Options} */
module.exports = function swcOptions() {
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
      baseUrl: root,
      paths: {
        '@confer/signaling-contracts': ['libs/signaling-contracts/src/index.ts'],
      },
    },
    module: { type: 'commonjs' },
    sourceMaps: true,
  };
};
