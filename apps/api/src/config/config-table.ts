import { CONFIG_VARIABLES } from './app-config';

/** The configuration variables as the markdown table the root README carries. */
export function configTableMarkdown(): string {
  const rows = CONFIG_VARIABLES.map(
    (v) => `| \`${v.name}\` | ${v.default.startsWith('(') || v.default === 'CPU count' ? v.default : `\`${v.default}\``} | ${v.meaning} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
