/**
 * Whether a browser request from `origin` may use the API. Clients that send
 * no Origin (servers, native apps, tests) are not browsers and cannot be
 * driven by a foreign page, so they pass; a same-origin page (Origin's host
 * equals the Host header, e.g. the web app served through WEB_ROOT or the dev
 * proxy) passes; anything else must be listed in ALLOWED_ORIGINS.
 */
export function isOriginAllowed(origin: string | undefined, host: string | undefined, allowed: '*' | readonly string[]): boolean {
  if (!origin || allowed === '*') return true;
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
