// Prints a server API token: a JWT signed HS256 with an API key's secret.
//   node tools/api-token.mjs <key> <secret> [ttl seconds, default 600, at most 3600]
// (or API_KEY / API_SECRET in the environment). Portals do the same with any JWT library.
import { SignJWT } from 'jose';

const [key = process.env.API_KEY, secret = process.env.API_SECRET, ttlArg = '600'] = process.argv.slice(2);
const ttl = Number(ttlArg);
if (!key || !secret || !Number.isInteger(ttl) || ttl < 1 || ttl > 3600) {
  console.error('usage: node tools/api-token.mjs <key> <secret> [ttl seconds 1-3600]');
  process.exit(2);
}
const token = await new SignJWT({})
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setIssuer(key)
  .setIssuedAt()
  .setExpirationTime(`${ttl}s`)
  .sign(new TextEncoder().encode(secret));
console.log(token);
