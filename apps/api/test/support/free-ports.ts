import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * First port of `count` consecutive ports free for both UDP and TCP on 127.0.0.1,
 * searched above the RTC port range (40000-49999) that the tests' transports use,
 * so a WebRtcServer never collides with them or with anything else on the machine.
 */
export async function freePortRange(count: number, from = 50000 + Math.floor(Math.random() * 5000)): Promise<number> {
  for (let base = from; base < 60000; base += count) {
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = (await udpFree(p)) && (await tcpFree(p));
    if (ok) return base;
  }
  throw new Error(`no ${count} free consecutive ports between ${from} and 60000`);
}
