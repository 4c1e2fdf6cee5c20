import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES } from './app-config';
import { configTableMarkdown } from './config-table';
import { README_PATH, replaceConfigTable } from './readme-table';

describe('README configuration table', () => {
  it('lists every variable the API reads, as generated from CONFIG_VARIABLES', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    // Regenerate with: config-table.cli.ts --write
    expect(replaceConfigTable(readme, configTableMarkdown())).toBe(readme);
    for (const v of CONFIG_VARIABLES) expect(readme).toContain(`\`${v.name}\``);
  });
});
