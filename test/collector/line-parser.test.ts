import { describe, expect, it } from 'vitest';
import { LineDecoder } from '../../src/collector/decoder.js';
import { decodeHexWords, decodeHexWordsInto, decodeUtf8, splitArgv } from '../../src/collector/hex.js';
import { decodeWaitStatus, parseLine } from '../../src/collector/line-parser.js';
import type { ExecEvent, RawEvent } from '../../src/collector/raw-event.js';
import { chunkFields, commWords, connectSource, execContext } from '../support/hex-words.js';
import { expectGolden, goldenLines } from './golden.js';

/** the `len words tail` fields of an exec chunk line holding `s` */
const chunk = (s: string | Uint8Array): string =>
  chunkFields(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);

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
  it('decodes a capture of a hostile exec (recorded from bpftrace, byte strings re-encoded as hex words for protocol 2, the protocol 3 fields added), with chunks interleaved with other events, byte for byte', () => {
    const { events, notices, malformed, pending } = decodeAll(goldenLines('capture-hostile.lines'));
    expect(malformed).toEqual([]);
    expect(pending).toBe(0);
    const exec = events.find((e): e is ExecEvent => e.kind === 'exec')!;
    expect(exec.filename).toBe('./tr\\xffue "x"\n\\\t');
    expect(exec.comm).toBe('tr\\xffue "x"\n\\\t');
    expect(exec.argv).toEqual([
      'tr\\xffue',
      'a "quoted" arg',
      'tab\there',
      'new\nline',
      'back\\slash',
      '',
      '\\xc3(bad',
      'x'.repeat(4096),
      'last',
    ]);
    expect(exec.argvTruncated).toBe(false);
    expect(exec.bytesEscaped).toBe(true);
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
      `exec ${ts} ${tid} ${tid} 1 0 0 0 0 1 5 6 1 ${fnBytes} ${argv.length} ${argv.length} ${commWords('sh')} ${execContext({ argc: 2 })}`;
    const lines = [
      header(100, 7, 7, argvA),
      header(101, 8, 8, Buffer.from('x\0')),
      `exec_arg 100 7 200 ${chunk(argvA.subarray(200))}`,
      `exec_fn 101 8 0 ${chunk('/bin/x\0')}`,
      `exec_arg 101 8 0 ${chunk('x\0')}`,
      `exec_fn 100 7 0 ${chunk('/bin/a\0')}`,
      `exec_arg 100 7 0 ${chunk(argvA.subarray(0, 200))}`,
    ];
    // header 101 announces 8 filename bytes but sends 7: it must stay pending, not complete early
    const { events, pending } = decodeAll(lines);
    expect(events.map((e) => (e as ExecEvent).argv)).toEqual([['a'.repeat(250), 'b']]);
    expect(pending).toBe(1);
  });

  it('flags argv cut at the bound and keeps the partial argument', () => {
    const shown = Buffer.from('/bin/echo\0hel', 'latin1');
    const lines = [
      `exec 5 9 9 1 0 0 0 0 1 5 6 1 3 400 ${shown.length} ${commWords('echo')} ${execContext({ argc: 7 })}`,
      `exec_fn 5 9 0 ${chunk('/e\0')}`,
      `exec_arg 5 9 0 ${chunk(shown)}`,
    ];
    const { events } = decodeAll(lines);
    // argc counts the 7 arguments the kernel had, not the 2 kept
    expect(events[0]).toMatchObject({
      argv: ['/bin/echo', 'hel'],
      argvTruncated: true,
      filename: '/e',
      argc: 7,
    });
  });

  it('ignores a repeated chunk instead of double-counting its bytes', () => {
    const lines = [
      `exec 5 9 9 1 0 0 0 0 1 5 6 1 3 4 4 ${commWords('a')} ${execContext({ argc: 2 })}`,
      `exec_fn 5 9 0 ${chunk('/e\0')}`,
      `exec_fn 5 9 0 ${chunk('/e\0')}`,
      `exec_arg 5 9 0 ${chunk('ab\0\0')}`,
    ];
    const { events, stats } = decodeAll(lines);
    expect(events).toHaveLength(1);
    expect((events[0] as ExecEvent).argv).toEqual(['ab', '']);
    expect(stats.badChunks).toBe(1);
  });
});

describe('field decoders', () => {
  it('reads hex words as little-endian 64-bit reads: the last two digits are the first byte in memory', () => {
    // "/bin/ech" read as a u64 on x86-64 and printed %016llx (bpftrace output on this kernel)
    expect(Buffer.from(decodeHexWords('6863652f6e69622f', 0, 16, 8)!).toString('latin1')).toBe('/bin/ech');
    const out = new Uint8Array(3);
    expect(decodeHexWordsInto('0000000000636261', 0, 16, 3, out)).toBe(true);
    expect(Buffer.from(out).toString('latin1')).toBe('abc');
  });

  it('rejects hex word fields that are not whole words of hex digits or hold too few bytes', () => {
    const out = new Uint8Array(16);
    expect(decodeHexWordsInto('6863652f6e69622', 0, 15, 1, out)).toBe(false);
    expect(decodeHexWordsInto('6863652f6e69622g', 0, 16, 1, out)).toBe(false);
    expect(decodeHexWordsInto('6863652f6e6962Ā2f', 0, 16, 1, out)).toBe(false);
    expect(decodeHexWordsInto('6863652f6e69622f', 0, 16, 9, out)).toBe(false);
    expect(decodeHexWords('6863652f6e69622f', 0, 16, 16)).toBeUndefined();
  });

  it('decodes exec chunks of every length from 1 to 200 bytes, tail bytes included, in both word counts', () => {
    for (let len = 1; len <= 200; len++) {
      const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 37 + len) & 0xff);
      const l = parseLine(`exec_arg 5 9 0 ${chunk(bytes)}`);
      expect(l, `len ${len}`).toEqual({ kind: 'exec_arg', ktimeNs: 5, tid: 9, offset: 0, bytes });
    }
  });

  it('reports exec chunks whose length, words or tail do not fit together as malformed', () => {
    const words4 = '0'.repeat(64);
    for (const [line, reason] of [
      [`exec_arg 5 9 0 0 ${words4} ${'0'.repeat(16)}`, 'chunk length 0'],
      [`exec_arg 5 9 0 201 ${'0'.repeat(400)} ${'0'.repeat(16)}`, 'chunk length 201'],
      [`exec_arg 5 9 0 40 ${words4} ${'0'.repeat(16)}`, 'field 5 is not hex words holding 40 bytes'],
      [`exec_arg 5 9 0 3 ${words4} ${'0'.repeat(15)}`, 'field 6 is not a hex tail word'],
      [`exec_arg 5 9 0 3 ${words4} ${'z'.repeat(16)}`, 'field 6 is not a hex tail word'],
      [`exec_arg 5 9 0 3 ${words4}`, 'exec_arg line has 6 fields, expected 7'],
    ]) {
      expect(parseLine(line!), line).toEqual({ kind: 'malformed', reason: expect.stringContaining(reason!) });
    }
  });

  it('reads comm as two hex words, NUL padding kept for the assembler to cut', () => {
    const l = parseLine(`setsid 1 2 2 3 0 0 0 0 2 ${commWords('sh')}`);
    expect(l).toMatchObject({
      kind: 'event-comm',
      comm: Uint8Array.from([0x73, 0x68, ...new Array(14).fill(0)]),
    });
    expect(parseLine(`setsid 1 2 2 3 0 0 0 0 2 ${commWords('sh').slice(0, 16)}`)).toEqual({
      kind: 'malformed',
      reason: 'field 10 is not two hex words',
    });
  });

  it('decodes UTF-8, and gives bytes that are not UTF-8 in the marked byte-escaped form', () => {
    expect(decodeUtf8(Buffer.from('h\u00e9'))).toEqual({ text: 'h\u00e9', escaped: false });
    expect(decodeUtf8(new Uint8Array([0x61, 0xff]))).toEqual({ text: 'a\\xff', escaped: true });
  });

  it('keeps a leading U+FEFF: it is part of the argument, not a byte-order mark', () => {
    const bom = '\ufeff';
    expect(decodeUtf8(Buffer.from(`${bom}x`))).toEqual({ text: `${bom}x`, escaped: false });
    expect(decodeUtf8(Buffer.from(`${bom}${'long argument '.repeat(3)}`)).text.startsWith(bom)).toBe(true);
    expect(decodeUtf8(Buffer.concat([Buffer.from(bom), Buffer.from([0xff])]))).toEqual({
      text: `${bom}\\xff`,
      escaped: true,
    });
  });

  it('splits the argv area on NULs, keeping empty arguments', () => {
    expect(splitArgv(Buffer.from('a\0\0b\0'), false).argv).toEqual(['a', '', 'b']);
    expect(splitArgv(Buffer.from(''), false).argv).toEqual([]);
  });

  it('decodes wait statuses into the exit status byte and the signal (0 when killed, as elastic/ebpf)', () => {
    expect(decodeWaitStatus(0x0300)).toEqual({ exitCode: 3 });
    expect(decodeWaitStatus(9)).toEqual({ exitCode: 0, signal: 9 });
    expect(decodeWaitStatus(0x86)).toEqual({ exitCode: 0, signal: 6 });
  });

  it('reads the kernel pids of the hello line (bpftrace) and the ready line (the pinger), and still the lines without them', () => {
    expect(parseLine('hello 3 77 1024 4242')).toEqual({
      kind: 'hello',
      version: 3,
      ktimeNs: 77,
      argvBytes: 1024,
      pid: 4242,
    });
    expect(parseLine('hello 3 77 1024')).toEqual({ kind: 'hello', version: 3, ktimeNs: 77, argvBytes: 1024 });
    expect(parseLine('ready 88 6215')).toEqual({ kind: 'ready', ktimeNs: 88, pid: 6215 });
    expect(parseLine('ready 88')).toEqual({ kind: 'ready', ktimeNs: 88 });
    for (const bad of ['hello 3 77', 'hello 3 77 1024 42 43', 'ready', 'ready 88 6215 1', 'ready 88 x']) {
      expect(parseLine(bad).kind).toBe('malformed');
    }
  });

  it('parses connect lines with IPv6 addresses, socket type and negative return', () => {
    const l = parseLine(
      `connect 10 2 2 3 1000 1000 0 0 6 2 53 fe80::1 -101 ${connectSource()} ${commWords('dig')}`,
    );
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
    const l = parseLine(
      `tcpsyn 10 7 7 3 1000 1000 0 0 4 443 198.51.100.7 ${connectSource()} ${commWords('curl')}`,
    );
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
        saddr: '0.0.0.0',
        sport: 0,
        capEffective: 0n,
        capPermitted: 0n,
        source: 'inet_sock_set_state',
      },
      comm: expect.any(Uint8Array),
    });
    expect(
      parseLine(`tcpsyn 10 7 7 3 0 0 0 0 6 22 2001:db8::1 ${connectSource()} ${commWords('a')}`),
    ).toMatchObject({
      event: { family: 'ipv6', daddr: '2001:db8::1', dport: 22 },
    });
  });

  it('rejects tcpsyn lines with a bad family, port or field count', () => {
    for (const bad of [
      `tcpsyn 10 7 7 3 0 0 0 0 5 443 1.2.3.4 ${connectSource()} ${commWords('a')}`,
      `tcpsyn 10 7 7 3 0 0 0 0 4 70000 1.2.3.4 ${connectSource()} ${commWords('a')}`,
      `tcpsyn 10 7 7 3 0 0 0 0 4 443 1.2.3.4 ${connectSource()}`,
    ]) {
      expect(parseLine(bad).kind, bad).toBe('malformed');
    }
  });

  it('treats an address field with anything but address characters as malformed', () => {
    expect(
      parseLine(`connect 10 2 2 3 0 0 0 0 4 1 53 1.2.3.4;x -1 ${connectSource()} ${commWords('a')}`).kind,
    ).toBe('malformed');
  });
});

describe('protocol 3 lines', () => {
  it('reads the exec context: argc, terminal, capabilities, namespaces', () => {
    const lines = [
      `exec 5 9 9 1 1000 1000 0 0 1 5 6 1 3 4 4 ${commWords('a')} ${execContext({ argc: 7, tty: [136, 3], caps: ['200000', '1ffffffffff'] })}`,
      `exec_fn 5 9 0 ${chunk('/e\0')}`,
      `exec_arg 5 9 0 ${chunk('ab\0\0')}`,
    ];
    const { events } = decodeAll(lines);
    expect(events[0]).toMatchObject({
      argc: 7,
      tty: { major: 136, minor: 3 },
      capEffective: 0x200000n,
      capPermitted: 0x1ffffffffffn,
      pidNs: 4026531836,
      mntNs: 4026531832,
    });
    expect(events[0]).not.toHaveProperty('envVars');
  });

  it('waits for every announced exec_env line and keeps the variables in index order, flagging a cut one', () => {
    const long = `GLIBC_TUNABLES=${'A'.repeat(300)}`;
    const lines = [
      `exec 5 9 9 1 0 0 0 0 1 5 6 1 3 4 4 ${commWords('a')} ${execContext({ envSeen: 30, envN: 2 })}`,
      `exec_fn 5 9 0 ${chunk('/e\0')}`,
      `exec_arg 5 9 0 ${chunk('ab\0\0')}`,
      `exec_env 5 9 1 ${long.length} ${chunk(long.slice(0, 200))}`,
    ];
    const first = decodeAll(lines);
    expect(first.events).toEqual([]);
    expect(first.pending).toBe(1);
    const { events } = decodeAll([...lines, `exec_env 5 9 0 18 ${chunk('HISTFILE=/dev/null')}`]);
    expect(events[0]).toMatchObject({
      envVars: ['HISTFILE=/dev/null', long.slice(0, 200)],
      envTruncated: true,
    });
  });

  it('rejects an exec_env line longer than its total and an env count above the variables seen', () => {
    expect(parseLine(`exec_env 5 9 0 3 ${chunk('ABCD')}`)).toEqual({
      kind: 'malformed',
      reason: 'exec_env length 4 is above the total 3',
    });
    expect(
      parseLine(
        `exec 5 9 9 1 0 0 0 0 1 5 6 1 3 4 4 ${commWords('a')} ${execContext({ envSeen: 1, envN: 2 })}`,
      ),
    ).toEqual({ kind: 'malformed', reason: 'exec env count 2 is above the variables seen, 1' });
  });

  it('parses connect with its local address and capability masks', () => {
    const l = parseLine(
      `connect 10 2 2 3 0 0 0 0 4 1 443 1.2.3.4 -115 41234 10.0.0.5 a1 1ffffffffff ${commWords('curl')}`,
    );
    expect(l).toMatchObject({
      event: { saddr: '10.0.0.5', sport: 41234, capEffective: 0xa1n, capPermitted: 0x1ffffffffffn },
    });
    expect(
      parseLine(`connect 10 2 2 3 0 0 0 0 4 1 443 1.2.3.4 -115 41234 10.0.0.5 xyz 0 ${commWords('curl')}`),
    ).toEqual({ kind: 'malformed', reason: 'field 16 is not a hex mask' });
  });

  it("decodes each line's own comm and capability masks when lines repeat, alternate and mix them (the parser remembers the last ones read)", () => {
    const comms = ['curl', 'storm', 'a', 'x'.repeat(15), 'stor', 'storm'];
    const masks = ['0', '1ffffffffff', 'a1', '1ffffffffffe', '1', 'a10', '1ffffffffff'];
    const d = new LineDecoder();
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      // runs of the same values and changes, as a busy process and its neighbours write them
      const comm = comms[i % 7 < 4 ? 1 : next(comms.length)]!;
      const eff = masks[next(masks.length)]!;
      const perm = masks[i % 3 === 0 ? next(masks.length) : 1]!;
      const line = `connect ${10 + i} 2 2 3 0 0 0 0 4 1 443 1.2.3.4 -115 41234 10.0.0.5 ${eff} ${perm} ${commWords(comm)}`;
      const r = d.decode(line);
      expect(r.kind).toBe('event');
      expect((r as { event: RawEvent }).event).toMatchObject({
        comm,
        capEffective: BigInt(`0x${eff}`),
        capPermitted: BigInt(`0x${perm}`),
      });
    }
    // a bad mask right after a good one of the same length is still refused
    d.decode(`connect 10 2 2 3 0 0 0 0 4 1 443 1.2.3.4 -115 41234 10.0.0.5 a1 0 ${commWords('curl')}`);
    expect(
      parseLine(`connect 10 2 2 3 0 0 0 0 4 1 443 1.2.3.4 -115 41234 10.0.0.5 a1 0g ${commWords('curl')}`),
    ).toEqual({ kind: 'malformed', reason: 'field 17 is not a hex mask' });
  });

  it('parses accept (both ends), disconnect (bytes), setuid/setgid, setpgid and module lines', () => {
    expect(
      parseLine(`accept 10 2 2 3 0 0 0 0 4 8080 127.0.0.1 51000 127.0.0.2 0 0 ${commWords('srv')}`),
    ).toMatchObject({
      event: {
        kind: 'accept',
        family: 'ipv4',
        lport: 8080,
        laddr: '127.0.0.1',
        rport: 51000,
        raddr: '127.0.0.2',
      },
    });
    expect(
      parseLine(`disconnect 10 2 2 3 0 0 0 0 6 5000 ::1 22 ::2 120 4096 0 0 ${commWords('ssh')}`),
    ).toMatchObject({
      event: {
        kind: 'disconnect',
        family: 'ipv6',
        sport: 5000,
        dport: 22,
        bytesSent: 120n,
        bytesReceived: 4096n,
      },
    });
    expect(
      parseLine(`setuid 10 2 2 3 0 1000 0 1000 1ffffffffff 1ffffffffff ${commWords('su')}`),
    ).toMatchObject({
      event: { kind: 'setuid', uid: 0, gid: 1000, euid: 0, egid: 1000, capEffective: 0x1ffffffffffn },
    });
    expect(parseLine(`setgid 10 2 2 3 0 0 0 0 0 0 ${commWords('sg')}`)).toMatchObject({
      event: { kind: 'setgid' },
    });
    expect(parseLine('setpgid 10 2 2 3 0 0 2')).toEqual({
      kind: 'event',
      event: {
        kind: 'setpgid',
        ktimeNs: 10,
        tid: 2,
        pid: 2,
        startNs: 3n,
        targetPid: 0,
        pgid: 0,
        callerPgid: 2,
      },
    });
    const name = Buffer.from('dummy\0', 'latin1');
    expect(
      parseLine(
        `module 10 2 2 3 0 0 0 0 12288 1ffffffffff 1ffffffffff ${commWords('insmod')} ${chunkFields(name).replace(/^(\d+) (\S{64})/, (_m, n, w) => `${n} ${w.slice(0, 16 * 7).padEnd(16 * 7, '0')}`)}`,
      ),
    ).toMatchObject({ event: { kind: 'module', taints: 12288, name: 'dummy' } });
  });
});

describe('ExecAssembler expiry', () => {
  it('counts age from the header arrival, so a backlog of old lines still assembles, and drops a lost chunk later', async () => {
    const { ExecAssembler } = await import('../../src/collector/exec-assembler.js');
    let clock = 1_000_000_000_000;
    const a = new ExecAssembler(undefined, 2e9, () => clock);
    const header = parseLine(
      `exec 5 9 9 1 0 0 0 0 1 5 6 1 3 2 2 ${commWords('a')} ${execContext({ argc: 1 })}`,
    );
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
