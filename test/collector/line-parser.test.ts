import { describe, expect, it } from 'vitest';
import { LineDecoder } from '../../src/collector/decoder.js';
import { decodeRx, decodeUtf8, splitArgv } from '../../src/collector/hex.js';
import { decodeWaitStatus, parseLine } from '../../src/collector/line-parser.js';
import type { ExecEvent, RawEvent } from '../../src/collector/raw-event.js';
import { expectGolden, goldenLines } from './golden.js';

const rx = (s: string | Uint8Array): string =>
  [...(typeof s === 'string' ? Buffer.from(s, 'latin1') : s)]
    .map((b) => `\\x${b.toString(16).padStart(2, '0')}`)
    .join('');

function decodeAll(lines: string[]) {
  const d = new LineDecoder(() => '/test.slice');
  const events: RawEvent[] = [];
  const notices: unknown[] = [];
  const malformed: string[] = [];
  for (const l of lines) {
    const r = d.decode(l);
    if (r.kind === 'event') events.push(r.event);
    else if (r.kind === 'notice') notices.push(r.notice);
    else if (r.kind === 'malformed') malformed.push(r.reason);
  }
  return { events, notices, malformed, stats: d.assembler.stats, pending: d.assembler.pendingCount };
}

describe('line protocol decoding', () => {
  it('decodes a real capture of a hostile exec, with chunks interleaved with other events, byte for byte', () => {
    const { events, notices, malformed, pending } = decodeAll(goldenLines('capture-hostile.lines'));
    expect(malformed).toEqual([]);
    expect(pending).toBe(0);
    const exec = events.find((e): e is ExecEvent => e.kind === 'exec')!;
    expect(exec.filename).toBe('./tr\ufffdue "x"\n\\\t');
    expect(exec.comm).toBe('tr\ufffdue "x"\n\\\t');
    expect(exec.argv).toEqual([
      'tr\ufffdue',
      'a "quoted" arg',
      'tab\there',
      'new\nline',
      'back\\slash',
      '',
      '\ufffd(bad',
      'x'.repeat(4096),
      'last',
    ]);
    expect(exec.argvTruncated).toBe(false);
    expect(exec.lossy).toBe(true);
    expect(exec.cgroupPath).toBe('/test.slice');
    expect(notices).toContainEqual({ kind: 'lost', count: 3 });
    expect(notices).toContainEqual({ kind: 'counter', name: 'connect_other', value: 42 });
    expect(notices).toContainEqual({ kind: 'attaching', probes: 24 });
    expectGolden('capture-hostile.expected.json', events);
  });

  it('reports malformed, truncated and unknown lines with a reason and never throws', () => {
    const lines = goldenLines('malformed.lines').filter((l) => l !== '');
    const { events, malformed, stats } = decodeAll(lines);
    expect(events).toEqual([]);
    // the orphan exec_arg line is held for its header, not reported malformed
    expect(malformed).toHaveLength(lines.length - 1);
    expect(stats.orphanChunks).toBe(1);
    expectGolden('malformed.expected.json', malformed);
  });

  it('re-assembles an exec whose chunks arrive out of order and interleaved with another exec', () => {
    const argvA = Buffer.from(`${'a'.repeat(250)}\0b\0`, 'latin1');
    const header = (ts: number, tid: number, fnBytes: number, argv: Buffer) =>
      `exec ${ts} ${tid} ${tid} 1 0 0 0 0 1 5 6 1 ${fnBytes} ${argv.length} ${argv.length} ${rx('sh')}`;
    const lines = [
      header(100, 7, 7, argvA),
      header(101, 8, 8, Buffer.from('x\0')),
      `exec_arg 100 7 200 ${rx(argvA.subarray(200))}`,
      `exec_fn 101 8 0 ${rx('/bin/x\0')}`,
      `exec_arg 101 8 0 ${rx('x\0')}`,
      `exec_fn 100 7 0 ${rx('/bin/a\0')}`,
      `exec_arg 100 7 0 ${rx(argvA.subarray(0, 200))}`,
    ];
    // header 101 announces 8 filename bytes but sends 7: it must stay pending, not complete early
    const { events, pending } = decodeAll(lines);
    expect(events.map((e) => (e as ExecEvent).argv)).toEqual([['a'.repeat(250), 'b']]);
    expect(pending).toBe(1);
  });

  it('flags argv cut at the bound and keeps the partial argument', () => {
    const shown = Buffer.from('/bin/echo\0hel', 'latin1');
    const lines = [
      `exec 5 9 9 1 0 0 0 0 1 5 6 1 3 400 ${shown.length} ${rx('echo')}`,
      `exec_fn 5 9 0 ${rx('/e\0')}`,
      `exec_arg 5 9 0 ${rx(shown)}`,
    ];
    const { events } = decodeAll(lines);
    expect(events[0]).toMatchObject({ argv: ['/bin/echo', 'hel'], argvTruncated: true, filename: '/e' });
  });

  it('ignores a repeated chunk instead of double-counting its bytes', () => {
    const lines = [
      `exec 5 9 9 1 0 0 0 0 1 5 6 1 3 4 4 ${rx('a')}`,
      `exec_fn 5 9 0 ${rx('/e\0')}`,
      `exec_fn 5 9 0 ${rx('/e\0')}`,
      `exec_arg 5 9 0 ${rx('ab\0\0')}`,
    ];
    const { events, stats } = decodeAll(lines);
    expect(events).toHaveLength(1);
    expect((events[0] as ExecEvent).argv).toEqual(['ab', '']);
    expect(stats.badChunks).toBe(1);
  });
});

describe('field decoders', () => {
  it('rejects anything but \\xNN in hex fields', () => {
    expect(decodeRx('\\x41\\x42')).toEqual(new Uint8Array([0x41, 0x42]));
    expect(decodeRx('\\x4')).toBeUndefined();
    expect(decodeRx('\\x4g')).toBeUndefined();
    expect(decodeRx('A\\x41')).toBeUndefined();
  });

  it('decodes UTF-8 and marks invalid sequences lossy', () => {
    expect(decodeUtf8(Buffer.from('h\u00e9'))).toEqual({ text: 'h\u00e9', lossy: false });
    expect(decodeUtf8(new Uint8Array([0x61, 0xff]))).toEqual({ text: 'a\ufffd', lossy: true });
  });

  it('keeps a leading U+FEFF: it is part of the argument, not a byte-order mark', () => {
    const bom = '\ufeff';
    expect(decodeUtf8(Buffer.from(`${bom}x`))).toEqual({ text: `${bom}x`, lossy: false });
    expect(decodeUtf8(Buffer.from(`${bom}${'long argument '.repeat(3)}`)).text.startsWith(bom)).toBe(true);
    expect(decodeUtf8(Buffer.concat([Buffer.from(bom), Buffer.from([0xff])]))).toEqual({
      text: `${bom}\ufffd`,
      lossy: true,
    });
  });

  it('splits the argv area on NULs, keeping empty arguments', () => {
    expect(splitArgv(Buffer.from('a\0\0b\0'), false).argv).toEqual(['a', '', 'b']);
    expect(splitArgv(Buffer.from(''), false).argv).toEqual([]);
  });

  it('decodes wait statuses into exit code or 128+signal', () => {
    expect(decodeWaitStatus(0x0300)).toEqual({ exitCode: 3 });
    expect(decodeWaitStatus(9)).toEqual({ exitCode: 137, signal: 9 });
  });

  it('parses connect lines with IPv6 addresses, socket type and negative return', () => {
    const l = parseLine(`connect 10 2 2 3 1000 1000 0 0 6 2 53 fe80::1 -101 ${rx('dig')}`);
    expect(l).toMatchObject({
      kind: 'event-comm',
      event: {
        family: 'ipv6',
        socketType: 'dgram',
        daddr: 'fe80::1',
        dport: 53,
        ret: -101,
        euid: 0,
        uid: 1000,
      },
    });
  });

  it('parses a tcpsyn line as a TCP connect in progress seen at SYN_SENT', () => {
    const l = parseLine(`tcpsyn 10 7 7 3 1000 1000 0 0 4 443 198.51.100.7 ${rx('curl')}`);
    expect(l).toEqual({
      kind: 'event-comm',
      event: {
        kind: 'connect',
        ktimeNs: 10,
        tid: 7,
        pid: 7,
        startNs: 3n,
        uid: 1000,
        gid: 1000,
        euid: 0,
        egid: 0,
        family: 'ipv4',
        socketType: 'stream',
        daddr: '198.51.100.7',
        dport: 443,
        ret: -115,
        source: 'inet_sock_set_state',
      },
      comm: expect.any(Uint8Array),
    });
    expect(parseLine(`tcpsyn 10 7 7 3 0 0 0 0 6 22 2001:db8::1 ${rx('a')}`)).toMatchObject({
      event: { family: 'ipv6', daddr: '2001:db8::1', dport: 22 },
    });
  });

  it('rejects tcpsyn lines with a bad family, port or field count', () => {
    for (const bad of [
      `tcpsyn 10 7 7 3 0 0 0 0 5 443 1.2.3.4 ${rx('a')}`,
      `tcpsyn 10 7 7 3 0 0 0 0 4 70000 1.2.3.4 ${rx('a')}`,
      `tcpsyn 10 7 7 3 0 0 0 0 4 443 1.2.3.4`,
    ]) {
      expect(parseLine(bad).kind, bad).toBe('malformed');
    }
  });

  it('treats an address field with anything but address characters as malformed', () => {
    expect(parseLine(`connect 10 2 2 3 0 0 0 0 4 1 53 1.2.3.4;x -1 ${rx('a')}`).kind).toBe('malformed');
  });
});

describe('ExecAssembler expiry', () => {
  it('counts age from the header arrival, so a backlog of old lines still assembles, and drops a lost chunk later', async () => {
    const { ExecAssembler } = await import('../../src/collector/exec-assembler.js');
    let clock = 1_000_000_000_000;
    const a = new ExecAssembler(undefined, 2e9, () => clock);
    const header = parseLine(`exec 5 9 9 1 0 0 0 0 1 5 6 1 3 2 2 ${rx('a')}`);
    if (header.kind !== 'exec') throw new Error('bad header');
    a.header(header);
    // the kernel timestamp (5 ns) is ancient, but the header has just arrived
    a.expire(clock + 1e9);
    expect(a.pendingCount).toBe(1);
    clock += 3e9;
    a.expire(clock);
    expect(a.pendingCount).toBe(0);
    expect(a.stats.incomplete).toBe(1);
  });
});
