// Real-kernel tests: a live Collector (bpftrace attached) sees known workloads exactly.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Collector } from '../../src/collector/index.js';
import { renderHostProgram } from '../../src/collector/program.js';
import type {
  ConnectEvent,
  ExecEvent,
  ExitEvent,
  ForkEvent,
  RawEvent,
  SetsidEvent,
} from '../../src/collector/raw-event.js';
import { describeKernel } from '../support/kernel.js';

const run = promisify(execFile);
const CONNECT_PY = fileURLToPath(new URL('../progs/connect.py', import.meta.url));
const FASTOPEN_PY = fileURLToPath(new URL('../progs/fastopen.py', import.meta.url));
const HOSTILE_PY = fileURLToPath(new URL('../progs/hostile-exec.py', import.meta.url));
const RUN_COLLECTOR = fileURLToPath(new URL('./run-collector.ts', import.meta.url));
const CLK_TCK = 100;

async function waitFor<T>(find: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = find();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting for the event');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function closedPort(host: string): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, host, r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function startTicks(pid: number | 'self'): bigint {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return BigInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!);
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describeKernel('collector on the real kernel', () => {
  const events: RawEvent[] = [];
  let collector: Collector;
  // warnings and errors are kept (and still shown): the run must not produce any
  const warnings: string[] = [];
  const logger = pino(
    { level: 'warn' },
    {
      write(line: string) {
        warnings.push(line);
        process.stderr.write(line);
      },
    },
  );

  beforeAll(async () => {
    collector = new Collector({ logger, excludeSelf: false, restartDelayMs: 200 });
    collector.onEvent((e) => events.push(e));
    await collector.start();
  });
  afterAll(async () => {
    await collector?.stop();
  });

  const find =
    <K extends RawEvent['kind']>(kind: K, pred: (e: Extract<RawEvent, { kind: K }>) => boolean) =>
    () =>
      events.find(
        (e): e is Extract<RawEvent, { kind: K }> =>
          e.kind === kind && pred(e as Extract<RawEvent, { kind: K }>),
      );

  it('reports an exec with its exact argv, pid, ppid, uid and the parent start time', async () => {
    const argv = ['/bin/sh', '-c', `echo 'a "b"'\tc`];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    const exec = await waitFor(find('exec', (e) => e.pid === child.pid));
    expect(exec.argv).toEqual(argv);
    expect(exec.filename).toBe('/bin/sh');
    expect(exec.ppid).toBe(process.pid);
    expect(exec.uid).toBe(process.getuid!());
    expect(exec.euid).toBe(process.geteuid!());
    expect(exec.argvTruncated).toBe(false);
    // /proc/self/stat field 22 is start_boottime in clock ticks
    expect(exec.parentStartNs / BigInt(1e9 / CLK_TCK)).toBe(startTicks('self'));
    expect(exec.startNs).toBeGreaterThan(exec.parentStartNs);
    // session 0 is real for processes descended from a kernel thread or PID 1 without a
    // setsid (some CI runners): the collector then leaves sid unset and the normalizer
    // inherits the parent's
    const procSid = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[3]);
    expect(exec.sid).toBe(procSid > 0 ? procSid : undefined);
  });

  it('speaks the protocol its parser expects: no malformed line, no warning from the collector or bpftrace', async () => {
    // the hello line has arrived (start() waits for the ready line, after it); give the
    // periodic counters line a chance, then nothing may have been logged or rejected
    await new Promise((r) => setTimeout(r, 200));
    expect(warnings).toEqual([]);
    expect(collector.stats().malformed).toBe(0);
  });

  it('reports a hostile exec (quotes, tab, newline, backslash, invalid UTF-8, 4 KiB argument) byte-exactly', async () => {
    const { stdout } = await run('python3', [HOSTILE_PY, tmpdir()]);
    const pid = Number(stdout.trim());
    const exec = await waitFor(find('exec', (e) => e.pid === pid));
    expect(exec.filename).toBe('./tr\\xffue "x"\n\\\t');
    // comm (the filename's base name, set by the kernel at exec) read as two words at its BTF offset
    expect(exec.comm).toBe('tr\\xffue "x"\n\\\t');
    // argv is 4159 bytes, above the 1024-byte default bound: cut inside the 4 KiB argument
    expect(exec.argvTruncated).toBe(true);
    expect(exec.argv.slice(0, 7)).toEqual([
      'tr\\xffue',
      'a "quoted" arg',
      'tab\there',
      'new\nline',
      'back\\slash',
      '',
      '\\xc3(bad',
    ]);
    expect(exec.argv[7]).toMatch(/^x+$/);
    // the kernel's count: 9 arguments, although the cut argv keeps 8
    expect(exec.argc).toBe(9);
    expect(exec.argv).toHaveLength(8);
    expect(exec.bytesEscaped).toBe(true);
  });

  it('reports connects to a closed loopback port over IPv4 and IPv6 with -ECONNREFUSED', async () => {
    for (const [fam, host] of [
      ['4', '127.0.0.1'],
      ['6', '::1'],
    ] as const) {
      const port = await closedPort(host);
      const { stdout } = await run('python3', [CONNECT_PY, fam, host, String(port)]);
      const [pid, errno] = stdout.trim().split(' ').map(Number);
      expect(errno).toBe(111);
      const c = await waitFor(find('connect', (e) => e.pid === pid));
      expect(c).toMatchObject<Partial<ConnectEvent>>({
        family: fam === '4' ? 'ipv4' : 'ipv6',
        daddr: host,
        dport: port,
        comm: 'python3',
        ret: -111,
        socketType: 'stream',
        euid: process.geteuid!(),
      });
    }
  });

  it('reports a connect(2) once, not again through the SYN_SENT path', async () => {
    const port = await closedPort('127.0.0.1');
    const { stdout } = await run('python3', [CONNECT_PY, '4', '127.0.0.1', String(port)]);
    const pid = Number(stdout.trim().split(' ')[0]);
    await waitFor(find('connect', (e) => e.pid === pid));
    // the SYN_SENT line would come from the same CPU before the syscall's exit: give it time
    await new Promise((r) => setTimeout(r, 300));
    const seen = events.filter((e) => e.kind === 'connect' && e.pid === pid);
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toHaveProperty('source');
  });

  it('reports a TCP Fast Open SYN, sent without connect(2), through the SYN_SENT path', async () => {
    for (const [fam, host] of [
      ['4', '127.0.0.1'],
      ['6', '::1'],
    ] as const) {
      const port = await closedPort(host);
      const { stdout } = await run('python3', [FASTOPEN_PY, fam, host, String(port)]);
      const pid = Number(stdout.trim().split(' ')[0]);
      const c = await waitFor(find('connect', (e) => e.pid === pid));
      expect(c).toMatchObject<Partial<ConnectEvent>>({
        source: 'inet_sock_set_state',
        family: fam === '4' ? 'ipv4' : 'ipv6',
        daddr: host,
        dport: port,
        ret: -115,
        socketType: 'stream',
        comm: 'python3',
        euid: process.geteuid!(),
      });
    }
  });

  it('reports a connect to a public-looking address in a fresh network namespace with -ENETUNREACH', async () => {
    // unshare -n execs python in a new netns with only a down loopback: no route anywhere
    const { stdout } = await run('unshare', ['-n', 'python3', CONNECT_PY, '4', '198.51.100.7', '443']);
    const [pid, errno] = stdout.trim().split(' ').map(Number);
    expect(errno).toBe(101);
    const c = await waitFor(find('connect', (e) => e.pid === pid));
    expect(c).toMatchObject({ daddr: '198.51.100.7', dport: 443, ret: -101, family: 'ipv4' });
  });

  it('reports a successful setsid with the new session id', async () => {
    const child = spawn('setsid', ['/bin/true'], { stdio: 'ignore' });
    const s: SetsidEvent = await waitFor(find('setsid', (e) => e.pid === child.pid));
    expect(s.ret).toBe(child.pid);
  });

  it('reports fork with the child start time and exit with the exit code', async () => {
    const child = spawn('/bin/sh', ['-c', '/bin/sleep 0.05 & wait; exit 7'], { stdio: 'ignore' });
    const fork: ForkEvent = await waitFor(find('fork', (e) => e.parentPid === child.pid));
    const sleepExec: ExecEvent = await waitFor(find('exec', (e) => e.pid === fork.childPid));
    expect(sleepExec.startNs).toBe(fork.childStartNs);
    expect(sleepExec.parentStartNs).toBe(fork.parentStartNs);
    const exit: ExitEvent = await waitFor(find('exit', (e) => e.pid === child.pid));
    expect(exit.exitCode).toBe(7);
    const forkOfSh: ForkEvent = await waitFor(find('fork', (e) => e.childPid === child.pid));
    expect(forkOfSh.parentPid).toBe(process.pid);
    expect(exit.startNs).toBe(forkOfSh.childStartNs);
  });

  it('delivers events in kernel-timestamp order', () => {
    const ts = events.filter((e) => e.kind !== 'lost').map((e) => e.ktimeNs);
    const late = collector.stats().late;
    let inversions = 0;
    for (let i = 1; i < ts.length; i++) if (ts[i]! < ts[i - 1]!) inversions++;
    // only an event that arrived after a later one was released (counted late) may break the order;
    // a run of late events can be in order among themselves, so inversions <= late
    expect(ts.length).toBeGreaterThan(10);
    expect(inversions).toBeLessThanOrEqual(late);
    expect(collector.stats().malformed).toBe(0);
  });

  it('paces bpftrace: it wakes far less often than once per event burst, and every event still arrives', async () => {
    // 200 fork+exec of /bin/true, 5 ms apart: unpaced, bpftrace wakes for each burst (fork,
    // exec, exit: ~600 wake-ups); paced (default 60 ms), a sleep and a wake-up per pace
    expect(collector.stats().bpftracePaceMs).toBe(60);
    const bt = collector.bpftracePid!;
    const wakeups = () =>
      Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${bt}/status`, 'utf8'))![1]);
    const before = wakeups();
    const { stdout } = await run('python3', [
      '-c',
      'import os, time\npids = []\nfor _ in range(200):\n    p = os.fork()\n    if p == 0: os.execv("/bin/true", ["true"])\n    pids.append(p); os.waitpid(p, 0); time.sleep(0.005)\nprint(" ".join(map(str, pids)))',
    ]);
    const pids = stdout.trim().split(' ').map(Number);
    await waitFor(() =>
      pids.every((p) => events.some((e) => e.kind === 'exit' && e.pid === p)) ? true : undefined,
    );
    const woke = wakeups() - before;
    expect(pids.every((p) => events.some((e) => e.kind === 'exec' && e.pid === p))).toBe(true);
    // measured here: 697 wake-ups unpaced, 163 paced at 10 ms
    expect(woke).toBeLessThan(pids.length * 1.5);
  });

  it('restarts bpftrace after SIGKILL and reports the gap', async () => {
    const old = collector.bpftracePid!;
    process.kill(old, 'SIGKILL');
    const gap = await waitFor(
      find('gap', () => true),
      60_000,
    );
    expect(gap.reason).toMatch(/SIGKILL/);
    expect(gap.toNs).toBeGreaterThan(gap.fromNs);
    expect(collector.bpftracePid).not.toBe(old);
    expect(alive(old)).toBe(false);
    const child = spawn('/bin/true', [], { stdio: 'ignore' });
    await waitFor(find('exec', (e) => e.pid === child.pid));
    expect(collector.stats().restarts).toBe(1);
  }, 90_000);
});

function startCollectorProcess(): Promise<{
  proc: ChildProcess;
  bpftracePid: number;
  pid: number;
  out: () => string;
}> {
  const proc = spawn('npx', ['vite-node', RUN_COLLECTOR], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return waitFor(() => {
    const m = /READY (\d+) (\d+)/.exec(out);
    return m ? { proc, bpftracePid: Number(m[1]), pid: Number(m[2]), out: () => out } : undefined;
  }, 60_000);
}

describeKernel('collector process lifecycle', () => {
  it('leaves no bpftrace running when eqld is SIGKILLed', async () => {
    const { bpftracePid, pid } = await startCollectorProcess();
    expect(alive(bpftracePid)).toBe(true);
    expect(readFileSync(`/proc/${bpftracePid}/comm`, 'utf8').trim()).toBe('bpftrace');
    process.kill(pid, 'SIGKILL');
    await waitFor(() => (alive(bpftracePid) ? undefined : true), 5000);
    expect(alive(bpftracePid)).toBe(false);
  }, 90_000);

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops bpftrace cleanly on ${sig}`, async () => {
      const { proc, bpftracePid, pid, out } = await startCollectorProcess();
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      process.kill(pid, sig);
      await waitFor(() => (out().includes(`STOPPED ${sig}`) ? true : undefined), 10_000);
      expect(alive(bpftracePid)).toBe(false);
      await exited;
      expect(existsSync(`/proc/${pid}`) && alive(pid)).toBe(false);
    }, 90_000);
  }
});

describeKernel('bpf program output on the real kernel', () => {
  it('prints no byte past an argv or filename field: the padding words and tail bytes are zero even with an environment right after argv', async () => {
    // bpftrace on the rendered program directly, to see the raw lines the collector parses
    const bt = spawn('bpftrace', ['-e', renderHostProgram(1024)], {
      env: { ...process.env, BPFTRACE_STRLEN: '200' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let raw = '';
    bt.stdout!.on('data', (d: Buffer) => {
      raw += d.toString('latin1');
    });
    try {
      await waitFor(() => (raw.includes('\nhello ') || raw.startsWith('hello ') ? true : undefined), 60_000);
      // argv of 2 to 40 bytes (every tail length, both word counts; python refuses an empty
      // argv[0]), each followed by an environment of 0xff bytes: a read past argv would print ff
      const pids: number[] = [];
      for (let n = 2; n <= 40; n++) {
        const arg0 = 'a'.repeat(n - 1); // n bytes with its NUL
        const { stdout } = await run('python3', [
          '-c',
          'import os, sys\np = os.fork()\nif p == 0: os.execve("/bin/true", [sys.argv[1]], {"E": "\\udcff" * 64})\nos.waitpid(p, 0)\nprint(p)',
          arg0,
        ]);
        pids.push(Number(stdout.trim()));
      }
      const chunkLines = await waitFor(() => {
        const ls = raw.split('\n').filter((l) => l.startsWith('exec_arg ') || l.startsWith('exec_fn '));
        return pids.every((p) => ls.some((l) => l.startsWith(`exec_arg `) && l.split(' ')[2] === String(p)))
          ? ls.filter((l) => pids.includes(Number(l.split(' ')[2])))
          : undefined;
      });
      const seen = new Set<number>();
      for (const line of chunkLines) {
        const [, , tid, , lenText, words, tail] = line.split(' ');
        const len = Number(lenText);
        const whole = len - (len % 8);
        // every byte of the words field after the whole words, and of the tail after len % 8
        const padding = Buffer.from(words!, 'hex').subarray(whole).toString('hex');
        const tailValue = BigInt(`0x${tail}`);
        expect(padding, line).toMatch(/^0*$/);
        expect(tailValue >> BigInt(8 * (len % 8)), line).toBe(0n);
        if (line.startsWith('exec_arg ')) seen.add(Number(tid));
      }
      expect(seen.size).toBe(pids.length);
    } finally {
      bt.kill('SIGINT');
    }
  }, 120_000);
});
