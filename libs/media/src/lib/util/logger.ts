/**
 * One logger per class. `debug` is silent unless enabled (`Logger.debugEnabled = true`
 * or `localStorage['confer:debug'] = '1'`); `warn` and `error` always print.
 */
export class Logger {
  static debugEnabled = readDebugFlag();

  constructor(private readonly prefix: string) {}

  debug(message: string): void {
    if (Logger.debugEnabled) console.debug(`[${this.prefix}] ${message}`);
  }

  warn(message: string, error?: unknown): void {
    console.warn(`[${this.prefix}] ${message}`, ...(error === undefined ? [] : [error]));
  }

  error(message: string, error?: unknown): void {
    console.error(`[${this.prefix}] ${message}`, ...(error === undefined ? [] : [error]));
  }
}

function readDebugFlag(): boolean {
  try {
    return globalThis.localStorage?.getItem('confer:debug') === '1';
  } catch {
    return false;
  }
}
