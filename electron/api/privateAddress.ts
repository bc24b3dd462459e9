import { BlockList, isIP } from 'node:net';

/**
 * Server mode: a profile's model URL must not point the server at itself or its private
 * network (a remote user probing internal ports through "test connection"). Checked when
 * settings are saved (literal addresses and local names, below) and again when connecting
 * (server/outboundGuard.ts: the addresses a name resolves to).
 */
const blocked = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) blocked.addSubnet(net, bits, 'ipv6');

export function isPrivateUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal') || !host.includes('.') && isIP(host) === 0) return true;
  return isPrivateAddress(host);
}

/** An IP address on this machine or a private network (false for names). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const host = mapped ? mapped[1]! : address;
  const family = isIP(host);
  if (family === 4) return blocked.check(host, 'ipv4');
  if (family === 6) return blocked.check(host, 'ipv6');
  return false;
}
