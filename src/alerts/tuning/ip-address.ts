// IP addresses and CIDR blocks as an Elasticsearch `ip` field compares them: every address as 16
// bytes, IPv4 as its IPv4-mapped IPv6 form (Lucene's InetAddressPoint), so `10.0.0.0/8` and
// `::ffff:10.0.0.0/104` are the same block and `::1` written in full equals `::1`.
import { isIP } from 'node:net';

export interface IpBlock {
  bytes: Uint8Array;
  /** prefix length in bits, over the 16-byte form */
  bits: number;
}

/** the 16-byte form of an address, or undefined when it is not one */
export function ipBytes(s: string): Uint8Array | undefined {
  const family = isIP(s);
  if (family === 0) return undefined;
  const out = new Uint8Array(16);
  if (family === 4) {
    out[10] = 0xff;
    out[11] = 0xff;
    s.split('.').forEach((p, i) => {
      out[12 + i] = Number(p);
    });
    return out;
  }
  let text = s.replace(/%.*$/, '');
  // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  groups.forEach((g, i) => {
    const n = Number.parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

/** an address (a /128) or `address/prefix` block, or undefined when it is neither */
export function ipBlock(q: string): IpBlock | undefined {
  const slash = q.indexOf('/');
  const bytes = ipBytes(slash < 0 ? q : q.slice(0, slash));
  if (!bytes) return undefined;
  if (slash < 0) return { bytes, bits: 128 };
  const prefix = q.slice(slash + 1);
  const v4 = isIP(q.slice(0, slash)) === 4;
  if (!/^\d+$/.test(prefix) || Number(prefix) > (v4 ? 32 : 128)) return undefined;
  return { bytes, bits: Number(prefix) + (v4 ? 96 : 0) };
}

export function inBlock(addr: Uint8Array, block: IpBlock): boolean {
  const full = block.bits >> 3;
  for (let i = 0; i < full; i++) if (addr[i] !== block.bytes[i]) return false;
  const rest = block.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((addr[full] as number) & mask) === ((block.bytes[full] as number) & mask);
}
