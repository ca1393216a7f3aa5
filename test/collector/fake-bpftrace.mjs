#!/usr/bin/env node
// Stand-in for bpftrace in collector unit tests (no kernel needed). Prints bpftrace's
// notices and the lines of $FAKE_LINES (a file), then per $FAKE_MODE: `stay` (run until
// signalled), `exit` (exit with code 3), `die-early` (stderr message, exit 1 before attaching),
// `late` (stay; an event now, and 60 ms later one about an earlier event), `pipe-size` (stay,
// and say on stderr how large the stdout pipe is), `env` (stay, and say on stderr the
// environment it got for pacing), `later` (stay; 400 ms after the ready line, one event stamped
// then), `pieces` (stay; the lines written in pieces of 1 to 150 bytes, 25 ms apart, so that
// reads end inside lines), `steady` (stay; from 300 ms after the ready line, an event stamped
// then every 100 ms, 20 in all: a host with a steady trickle of events).
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

// the file program (its program text, in the program file eqld passes as the last argument, is a
// name the test chose): `file-fails` never attaches; `file-fails-once:PATH` fails until PATH
// exists (it creates it), then stays quietly
const programPath = process.argv[process.argv.length - 1] ?? '';
const program = programPath !== '' && existsSync(programPath) ? readFileSync(programPath, 'utf8') : '';
if (program.startsWith('file-')) {
  const marker = program.startsWith('file-fails-once:') ? program.slice('file-fails-once:'.length) : '';
  if (program === 'file-fails' || (marker !== '' && !existsSync(marker))) {
    if (marker !== '') writeFileSync(marker, '');
    process.stderr.write('ERROR: could not attach probe tracepoint:syscalls:sys_exit_openat\n');
    process.exit(1);
  }
  process.stdout.write('Attaching 2 probes...\nhello 1 1 0\n');
  setTimeout(() => process.stdout.write('ready 2\n'), 50);
  process.on('SIGTERM', () => process.exit(0));
  setInterval(() => undefined, 1000);
} else {
  runProcessProgram();
}

function runProcessProgram() {
  const mode = process.env.FAKE_MODE ?? 'stay';
  if (process.env.FAKE_SPAWN_LOG) appendFileSync(process.env.FAKE_SPAWN_LOG, `${Date.now()}\n`);
  if (mode === 'die-early') {
    process.stderr.write('ERROR: could not attach probe tracepoint:sched:sched_process_exec\n');
    process.exit(1);
  }
  process.stderr.write("ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace.\n");
  // FAKE_KERNEL_PIDS=BPFTRACE:AGENT: the pids a bpftrace in the kernel's numbering would print
  const [bpfPid, agentPid] = (process.env.FAKE_KERNEL_PIDS ?? '').split(':');
  process.stdout.write(`Attaching 3 probes...\nhello 3 1 1024${bpfPid ? ` ${bpfPid}` : ''}\n`);
  setTimeout(() => {
    process.stdout.write(`ready 2${agentPid ? ` ${agentPid}` : ''}\n`);
    const lines = process.env.FAKE_LINES ? readFileSync(process.env.FAKE_LINES, 'latin1') : '';
    if (mode === 'pieces') writeInPieces(lines);
    else process.stdout.write(lines);
    process.stderr.write('WARNING: something bpftrace says\n');
    if (mode === 'exit') setTimeout(() => process.exit(3), 50);
    if (mode === 'later') {
      setTimeout(() => process.stdout.write(`exit ${process.hrtime.bigint()} 88 88 100 0\n`), 400);
    }
    if (mode === 'steady') {
      let n = 0;
      setTimeout(() => {
        const t = setInterval(() => {
          process.stdout.write(`exit ${process.hrtime.bigint()} ${300 + n} ${300 + n} 100 0\n`);
          if (++n === 20) clearInterval(t);
        }, 100);
      }, 300);
    }
    if (mode === 'env') {
      const { LD_PRELOAD, EQLD_BPFTRACE_PACE_MS } = process.env;
      process.stderr.write(`env ${JSON.stringify({ LD_PRELOAD, EQLD_BPFTRACE_PACE_MS })}\n`);
    }
    // `pipe-size`: report the capacity of the pipe stdout writes into (F_GETPIPE_SZ, via perl)
    if (mode === 'pipe-size') {
      spawnSync('perl', ['-e', 'print STDERR "pipe-size ", fcntl(STDOUT, 1032, 0), "\\n"'], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
    }
    // `late`: an event stamped now (the monotonic clock, as bpftrace's nsecs), then 60 ms later
    // a line about an event 10 ms older than it, as when a second CPU's perf buffer drains late
    if (mode === 'late') {
      const t = process.hrtime.bigint();
      process.stdout.write(`exit ${t} 66 66 100 0\n`);
      setTimeout(() => process.stdout.write(`exit ${t - 10_000_000n} 77 77 100 0\n`), 60);
    }
  }, 50);
  process.on('SIGTERM', () => {
    process.stdout.write('\n\n@connect_other: 5\n');
    process.exit(0);
  });
  setInterval(() => undefined, 1000);
}

/** `pieces`: lines cut at arbitrary bytes, each piece written alone after a pause longer than
 *  the collector's poll, so that its reads end and begin inside lines */
function writeInPieces(text) {
  let at = 0;
  let n = 0;
  const next = () => {
    if (at >= text.length) return;
    const size = 1 + ((n++ * 37) % 150);
    process.stdout.write(Buffer.from(text.slice(at, at + size), 'latin1'));
    at += size;
    setTimeout(next, 25);
  };
  next();
}
