import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { RemoteRefusedError } from './errors.js';

/**
 * Which addresses a repository's renders may fetch from. An entry is a host name (`charts.example.com`),
 * a wildcard (`*.example.com`), an IP address or a CIDR (`10.1.0.0/16`). A host must be listed; and
 * an address that is loopback, link-local, private, unique-local, shared or unspecified is reached only
 * when the address itself is covered by an IP or CIDR entry: a listed name that resolves (or is
 * re-pointed) to 127.0.0.1 or the cloud metadata address is refused.
 */
export interface HostPolicy {
  readonly allowed: readonly string[];
}

const SPECIAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  SPECIAL.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  SPECIAL.addSubnet(net, bits, 'ipv6');
}

/** `::ffff:127.0.0.1` is 127.0.0.1. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m?.[1]) return { address: m[1], family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function isSpecialAddress(address: string): boolean {
  const a = unmapped(address);
  return SPECIAL.check(a.address, a.family);
}

function addressEntries(allowed: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of allowed) {
    const [net, bits] = entry.split('/');
    if (!net || isIP(net) === 0) continue;
    const family = isIP(net) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(net, family);
    else list.addSubnet(net, Number(bits), family);
  }
  return list;
}

function hostListed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (isIP(h) !== 0) {
    const a = unmapped(h);
    return addressEntries(allowed).check(a.address, a.family);
  }
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    if (e.startsWith('*.')) return h.endsWith(e.slice(1)) && h.length > e.length - 1;
    return e === h;
  });
}

const HOST_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Why an allow-list entry is not a host name, `*.domain`, IP address or CIDR; undefined when it is. */
export function hostEntryProblem(entry: string): string | undefined {
  const [net, bits, extra] = entry.split('/');
  if (extra === undefined && net !== undefined && isIP(net) !== 0) {
    if (bits === undefined) return undefined;
    const max = isIP(net) === 6 ? 128 : 32;
    return /^\d{1,3}$/.test(bits) && Number(bits) <= max ? undefined : `the prefix length must be 0 to ${max}`;
  }
  if (entry.length <= 253 && HOST_NAME.test(entry) && entry !== '*') return undefined;
  return 'must be a host name (charts.example.com), a wildcard (*.example.com), an IP address or a CIDR (10.1.0.0/16)';
}

export interface Vetted {
  /** The address to connect to: resolved once, so that a second lookup cannot answer otherwise. */
  address: string;
  family: 4 | 6;
}

/** Checks `url` against the policy and resolves it to an address it may reach; refuses naming why. */
export async function vetUrl(
  url: URL,
  policy: HostPolicy,
  what: string,
  resolve: (host: string) => Promise<{ address: string; family: number }[]> = (h) =>
    lookup(h, { all: true, verbatim: true }),
): Promise<Vetted> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RemoteRefusedError(`${what}: ${url.protocol}// URLs are not fetched; use an https:// chart repository`);
  }
  if (url.username || url.password) {
    throw new RemoteRefusedError(
      `${what}: the URL carries credentials; Flotilla fetches public chart repositories only`,
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!hostListed(host, policy.allowed)) {
    throw new RemoteRefusedError(
      `${what}: host ${host} is not in this repository's allowed render hosts ` +
        `(${policy.allowed.length > 0 ? policy.allowed.join(', ') : 'none'}); an admin can add it with ` +
        '`fleet repos allow-hosts <repo> <host>...`',
    );
  }
  const addresses = isIP(host) !== 0 ? [{ address: host, family: isIP(host) }] : await resolve(host);
  const exact = addressEntries(policy.allowed);
  for (const a of addresses) {
    const u = unmapped(a.address);
    if (!isSpecialAddress(a.address) || exact.check(u.address, u.family)) {
      return { address: a.address, family: a.family === 6 ? 6 : 4 };
    }
  }
  throw new RemoteRefusedError(
    `${what}: ${host} resolves to ${addresses.map((a) => a.address).join(', ') || 'nothing'}, a loopback, ` +
      'link-local or private address; such an address is reached only when it is listed itself in the ' +
      "repository's allowed render hosts",
  );
}
