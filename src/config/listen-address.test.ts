import { describe, expect, it } from 'vitest';
import { formatListenAddress, parseListenAddress } from './listen-address.js';

describe('metrics.listen address', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    ['localhost:9464', { host: 'localhost', port: 9464 }],
    ['mgmt-0.example.org:80', { host: 'mgmt-0.example.org', port: 80 }],
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
  ])('reads %s', (text, want) => {
    expect(parseListenAddress(text)).toEqual(want);
  });

  it.each([
    '9464',
    ':9464',
    '127.0.0.1',
    '127.0.0.1:',
    '127.0.0.1:65536',
    '127.0.0.1:-1',
    '300.0.0.1:9464',
    '1.2.3:9464',
    '::1:9464',
    '[::1:9464',
    '[nonsense]:9464',
    'bad_host:9464',
    'host name:9464',
    '127.0.0.1:9464\n',
  ])('refuses %j', (text) => {
    expect(parseListenAddress(text)).toBeUndefined();
  });

  it('writes IPv6 addresses bracketed', () => {
    expect(formatListenAddress({ host: '::1', port: 9 })).toBe('[::1]:9');
    expect(formatListenAddress({ host: '127.0.0.1', port: 9 })).toBe('127.0.0.1:9');
  });
});
