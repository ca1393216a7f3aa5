// cidrMatch support: parses CIDR blocks once with ipaddr.js (IPv4, IPv6, IPv4-mapped IPv6) and tests
// addresses against them. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches IPv4 blocks, as Java's
// InetAddress (used by Elasticsearch's cidrMatch) maps it to IPv4.
import ipaddr from 'ipaddr.js';

type V4Block = { net: number; mask: number };
type V6Block = { range: ipaddr.IPv6; bits: number };

export interface CidrSet {
  matches(ip: string): boolean;
}

function v4ToInt(s: string): number | undefined {
  let n = 0;
  let parts = 0;
  let cur = -1;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (cur < 0 || cur > 255) return undefined;
      n = n * 256 + cur;
      parts++;
      cur = -1;
    } else if (c >= 48 && c <= 57) {
      cur = cur < 0 ? c - 48 : cur * 10 + (c - 48);
      if (cur > 255) return undefined;
    } else return undefined;
  }
  return parts === 4 ? n >>> 0 : undefined;
}

const maskOf = (bits: number) => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);

/** Throws Error with a message naming the bad block. */
export function compileCidrs(blocks: readonly string[]): CidrSet {
  const v4: V4Block[] = [];
  const v6: V6Block[] = [];
  for (const b of blocks) {
    const text = b.includes('/') ? b : ipaddr.parse(b).kind() === 'ipv4' ? `${b}/32` : `${b}/128`;
    let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      parsed = ipaddr.parseCIDR(text);
    } catch (err) {
      throw new Error(`\`${b}\` is not an IPv4 or IPv6 address or CIDR block`, { cause: err });
    }
    const [addr, bits] = parsed;
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      const a4 = (addr as ipaddr.IPv6).toIPv4Address();
      const mask = maskOf(bits - 96);
      v4.push({ net: (v4ToInt(a4.toString()) as number) & mask, mask });
    } else if (addr.kind() === 'ipv4') {
      const mask = maskOf(bits);
      v4.push({ net: ((v4ToInt(addr.toString()) as number) & mask) >>> 0, mask });
    } else {
      v6.push({ range: addr as ipaddr.IPv6, bits });
    }
  }
  const inV4 = (n: number) => {
    for (const b of v4) if ((n & b.mask) >>> 0 === b.net) return true;
    return false;
  };
  return {
    matches(ip: string): boolean {
      const n = v4ToInt(ip);
      if (n !== undefined) return inV4(n);
      const a = parseOther(ip);
      if (a === null) return false;
      if (typeof a === 'number') return inV4(a);
      for (const b of v6) if (a.match(b.range, b.bits)) return true;
      return false;
    },
  };
}

/** what an address other than a dotted quad parses to: an IPv4 address as a number (IPv4-mapped
 *  IPv6 included), an IPv6 address, or null when ipaddr.js rejects it */
type Parsed = number | ipaddr.IPv6 | null;

/** most distinct addresses kept parsed (the cache is emptied when full) */
const MAX_PARSED = 4096;
const parsedCache = new Map<string, Parsed>();

/** ipaddr.js's parse (costly for IPv6) of a pure input, remembered for the addresses last seen */
function parseOther(ip: string): Parsed {
  const hit = parsedCache.get(ip);
  if (hit !== undefined) return hit;
  const p = parseWithIpaddr(ip);
  if (parsedCache.size >= MAX_PARSED) parsedCache.clear();
  parsedCache.set(ip, p);
  return p;
}

function parseWithIpaddr(ip: string): Parsed {
  if (!ipaddr.isValid(ip)) return null;
  let a: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    a = ipaddr.parse(ip);
  } catch {
    return null;
  }
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress())
    return v4ToInt((a as ipaddr.IPv6).toIPv4Address().toString()) as number;
  if (a.kind() === 'ipv4') return v4ToInt(a.toString()) as number;
  return a as ipaddr.IPv6;
}
