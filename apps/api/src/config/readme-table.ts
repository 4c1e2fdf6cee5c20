import path from 'node:path';

export const README_PATH = path.resolve(__dirname, '../../../../README.md');
const START = '<!-- CONFIG-TABLE:START -->';
const END = '<!-- CONFIG-TABLE:END -->';

/** `readme` with the text between the CONFIG-TABLE markers replaced by `table`. */
export function replaceConfigTable(readme: string, table: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} section`);
  return `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`;
}
