import os from 'node:os';
import { allowedHosts } from './guard.js';

/**
 * The names a server-mode request may carry in its Host header. A page on another site can
 * point its own name at 127.0.0.1 (DNS rebinding) and then talk to Emily as if it were
 * same-origin: its Host header names the other site, so answering only to this server's own
 * names shuts that out. Behind a reverse proxy that passes the public name on, the operator
 * names it (--public-host).
 */
export class HostNames {
  private readonly exact: Set<string>;
  private readonly anyPort = new Set<string>();

  constructor(opts: { listen: string; port: number; publicHosts?: string[] }) {
    // Browser mode's names (127.0.0.1, localhost), IPv6 loopback, and the address listened on.
    this.exact = new Set(allowedHosts(opts.port));
    const addresses = ['[::1]'];
    const listen = opts.listen.replace(/^\[|\]$/g, '');
    if (listen === '0.0.0.0' || listen === '::') {
      for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) addresses.push(a.family === 'IPv6' ? `[${a.address.split('%')[0]}]` : a.address);
    } else addresses.push(listen.includes(':') ? `[${listen}]` : listen);
    for (const a of addresses) this.exact.add(`${a.toLowerCase()}:${opts.port}`);
    for (const h of opts.publicHosts ?? []) this.anyPort.add(hostOnly(h.trim().toLowerCase()));
  }

  allows(hostHeader: string | undefined): boolean {
    if (!hostHeader) return false;
    const h = hostHeader.toLowerCase();
    return this.exact.has(h) || this.anyPort.has(hostOnly(h));
  }
}

/** "name:port" → "name"; "[v6]:port" → "[v6]". */
function hostOnly(h: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(h);
  return m ? m[1]! : h;
}
