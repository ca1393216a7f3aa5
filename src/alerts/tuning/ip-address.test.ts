import { describe, expect, it } from 'vitest';
import { inBlock, ipBlock, ipBytes } from './ip-address.js';

const hit = (addr: string, block: string) => {
  const a = ipBytes(addr);
  const b = ipBlock(block);
  if (!a || !b) throw new Error(`not an address or block: ${addr} ${block}`);
  return inBlock(a, b);
};

describe('ip addresses as an Elasticsearch ip field compares them', () => {
  it.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['172.31.255.255', '172.16.0.0/12', true],
    ['172.32.0.0', '172.16.0.0/12', false],
    ['10.1.2.3', '10.1.2.3', true],
    ['10.1.2.3', '0.0.0.0/0', true],
    ['2001:db8::1', '2001:db8::/32', true],
    ['2001:db9::1', '2001:db8::/32', false],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', true],
    ['::1', '0:0:0:0:0:0:0:1', true],
    ['fe80::1%eth0', 'fe80::/10', true],
    // IPv4 is stored IPv4-mapped (Lucene InetAddressPoint)
    ['10.1.2.3', '::ffff:10.0.0.0/104', true],
    ['::ffff:10.1.2.3', '10.0.0.0/8', true],
    ['10.1.2.3', '::/0', true],
  ])('%s in %s: %s', (addr, block, expected) => {
    expect(hit(addr, block)).toBe(expected);
  });

  it('refuses what is not an address or block', () => {
    expect(ipBytes('intranet')).toBeUndefined();
    expect(ipBlock('10.0.0.0/33')).toBeUndefined();
    expect(ipBlock('10.0.0.0/')).toBeUndefined();
    expect(ipBlock('::/129')).toBeUndefined();
    expect(ipBlock('::/128')).toEqual({ bytes: new Uint8Array(16), bits: 128 });
  });
});
