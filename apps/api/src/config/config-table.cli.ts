// Prints the configuration variables as a markdown table (for the README):
//   node -r @swc-node/register apps/api/src/config/config-table.cli.ts
import { CONFIG_VARIABLES } from './app-config';

const rows = CONFIG_VARIABLES.map((v) => `| \`${v.name}\` | ${v.default.startsWith('(') || v.default === 'CPU count' ? v.default : `\`${v.default}\``} | ${v.meaning} |`);
process.stdout.write(['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n') + '\n');
