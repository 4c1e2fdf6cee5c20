// Prints the configuration variables as a markdown table, or with --write puts it
// into README.md between the CONFIG-TABLE markers:
//   SWC_NODE_PROJECT=apps/api/tsconfig.serve.json node -r @swc-node/register apps/api/src/config/config-table.cli.ts --write
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configTableMarkdown } from './config-table';
import { README_PATH, replaceConfigTable } from './readme-table';

if (process.argv.includes('--write')) {
  writeFileSync(README_PATH, replaceConfigTable(readFileSync(README_PATH, 'utf8'), configTableMarkdown()));
  process.stdout.write(`updated ${path.relative(process.cwd(), README_PATH)}\n`);
} else {
  process.stdout.write(`${configTableMarkdown()}\n`);
}
