import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES } from './config-variables';
import { ConfigError } from './config-error';

/**
 * Reads CONFIG_FILE: a JSON object (values may be numbers or booleans) or
 * `.env` lines. Unknown names are refused so that a typo does not go unnoticed.
 */
export function readConfigFile(file: string | undefined): Record<string, string> {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  CONFIG_FILE=${JSON.stringify(file)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let entries: [string, string][];
  if (/^\s*\{/.test(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`invalid configuration:\n  CONFIG_FILE=${JSON.stringify(file)}: invalid JSON (${(error as Error).message})`);
    }
    entries = Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  } else {
    entries = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => {
        const at = line.indexOf('=');
        const value = at < 0 ? '' : line.slice(at + 1).trim();
        return [at < 0 ? line : line.slice(0, at).trim().replace(/^export\s+/, ''), value.replace(/^(['"])(.*)\1$/, '$2')];
      });
  }
  const names = new Set(CONFIG_VARIABLES.map((v) => v.name));
  const unknown = entries.filter(([k]) => !names.has(k) && k !== 'NODE_ENV').map(([k]) => k);
  if (unknown.length) throw new ConfigError(`invalid configuration:\n  CONFIG_FILE=${JSON.stringify(file)}: unknown variable(s) ${unknown.join(', ')}`);
  return Object.fromEntries(entries);
}
