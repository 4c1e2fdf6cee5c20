// Lint for the whole workspace. The module-boundary rule is the point: it keeps
// the shared contract free of frameworks and the browser free of server code.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const mediasoupEntryPoints = { group: ['mediasoup/node/*', 'mediasoup-client/lib/*'], message: 'Import public entry points only (mediasoup/types, mediasoup-client/types).' };

/** apps/api/src's layers (apps/api/README.md): a folder may not import the folders above it. */
const apiLayer = (folder, above) => ({
  files: [`apps/api/src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: [mediasoupEntryPoints, { group: above.map((f) => `**/${f}/*`), message: `${folder}/ is below ${above.join(', ')}: import downwards only.` }] },
    ],
  },
});

export default [
  { ignores: ['**/dist', '**/node_modules', '**/.angular', '**/tmp', '**/coverage', '.tools/**', '.nx/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'scope:shared',
              onlyDependOnLibsWithTags: ['scope:shared'],
              bannedExternalImports: ['@nestjs/*', '@angular/*', 'mediasoup', 'mediasoup/*', 'mediasoup-client', 'mediasoup-client/*'],
            },
            {
              sourceTag: 'scope:web',
              onlyDependOnLibsWithTags: ['scope:web', 'scope:shared'],
              bannedExternalImports: ['@nestjs/*', 'mediasoup', 'mediasoup/*'],
            },
            {
              sourceTag: 'scope:api',
              onlyDependOnLibsWithTags: ['scope:api', 'scope:shared'],
              bannedExternalImports: ['@angular/*'],
            },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:util'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
          ],
        },
      ],
    },
  },
  {
    // mediasoup's own packages are reached only through their public entry points.
    files: ['**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [mediasoupEntryPoints] },
      ],
    },
  },
  // workers → rooms → room-access → media → recording → sessions → moderation → signaling / server-api;
  // peers/ (plain classes) is below rooms; room-settings/ (a room's policy, in the database) is below rooms.
  apiLayer('workers', ['cluster', 'edge', 'peers', 'rooms', 'room-access', 'media', 'recording', 'sessions', 'moderation', 'signaling', 'server-api']),
  apiLayer('peers', ['cluster', 'edge', 'workers', 'rooms', 'room-access', 'media', 'recording', 'sessions', 'moderation', 'signaling', 'server-api']),
  apiLayer('room-settings', ['cluster', 'edge', 'workers', 'peers', 'rooms', 'room-access', 'media', 'recording', 'sessions', 'moderation', 'signaling', 'server-api']),
  apiLayer('rooms', ['cluster', 'edge', 'room-access', 'media', 'recording', 'sessions', 'moderation', 'signaling', 'server-api']),
  // cluster/ (scale-out over Redis) places rooms on nodes; sessions ask it before entering a room.
  apiLayer('cluster', ['edge', 'room-access', 'media', 'recording', 'sessions', 'moderation', 'signaling', 'server-api']),
  apiLayer('room-access', ['edge', 'media', 'recording', 'sessions', 'moderation', 'signaling', 'server-api']),
  apiLayer('media', ['edge', 'recording', 'sessions', 'moderation', 'signaling', 'server-api']),
  // recording/ taps the rooms' producers and keeps the room's recording policy; moderation, signaling and the server API drive it.
  apiLayer('recording', ['edge', 'sessions', 'moderation', 'signaling', 'server-api']),
  apiLayer('sessions', ['edge', 'moderation', 'signaling', 'server-api']),
  // edge/ (rooms across nodes) mirrors a room to other nodes; signaling routes edge viewers' chat through it.
  apiLayer('edge', ['moderation', 'signaling', 'server-api']),
  apiLayer('moderation', ['signaling', 'server-api']),
  apiLayer('signaling', ['server-api']),
  {
    // Per-project jest configs share the workspace preset by relative path.
    files: ['**/jest.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
