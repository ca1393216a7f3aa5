// Real kernel: the Elastic Defend parity fields and events (issue 12) from live workloads, and the
// field catalogue (src/normalize/field-catalogue.ts) held to what real documents carry, both ways:
// every field of every document is catalogued for its kind, and every catalogued field shows up.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EVENT_KINDS } from '../../src/normalize/field-catalogue.js';
import { describeKernel } from '../support/kernel.js';
import { type Doc, get, type LiveStream, startLiveStream } from '../support/live-stream.js';

const PY = '/usr/bin/python3';
/** the names the corpus rules read (src/rules/env-vars.ts) and one the test sets that is not */
const ENV = [{ name: 'HISTFILE', prefix: false, caseInsensitive: true }];

/** dotted names of a document's fields; arrays of objects contribute their objects' fields */
export function fieldNames(v: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) {
    if (v.some((x) => x !== null && typeof x === 'object')) for (const x of v) fieldNames(x, prefix, out);
    else if (prefix) out.add(prefix);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) fieldNames(x, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  if (prefix) out.add(prefix);
  return out;
}

const byAction = (docs: Doc[], action: string) => docs.filter((d) => get(d, 'event.action') === action);
/** the exec of program `name` (default true) that had `arg` among its arguments */
const execOf = (docs: Doc[], arg: string, name = 'true') =>
  docs.find(
    (d) =>
      get(d, 'event.action') === 'exec' &&
      get(d, 'process.name') === name &&
      (get(d, 'process.args') as string[]).includes(arg),
  );

describeKernel('Elastic Defend parity on the real kernel', () => {
  let s: LiveStream;
  let T: string;
  let early: ReturnType<typeof spawn>;
  const cgroups: string[] = [];

  beforeAll(async () => {
    T = mkdtempSync('/tmp/eqld-parity-');
    chmodSync(T, 0o755);
    mkdirSync(join(T, 'deep', `${'n'.repeat(60)}`), { recursive: true });
    for (const [name, from] of [
      ['zoom', '/bin/bash'],
      ['conmon', '/bin/bash'],
      ['id-suid', '/usr/bin/id'],
    ] as const) {
      copyFileSync(from, join(T, name));
      chmodSync(join(T, name), 0o755);
    }
    chmodSync(join(T, 'id-suid'), 0o4755);
    // running before the collector: reported as already_running
    early = spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
    // file events too: the catalogue's file kinds are checked against real documents
    s = await startLiveStream(ENV, { fileEvents: true });
  }, 180_000);

  /** a test of workloads run on the stream: run again when kernel records were lost meanwhile
   *  (test/support/retry-on-loss.ts), so its time covers waiting for the loss to stop */
  const live = (name: string, body: () => Promise<void>, timeoutMs = 60_000) =>
    it(name, () => s.retryOnLoss(name, body), timeoutMs + 240_000);

  afterAll(async () => {
    early?.kill('SIGKILL');
    await s?.stop();
    for (const c of cgroups) if (existsSync(c)) rmdirSync(c);
    if (T) rmSync(T, { recursive: true, force: true });
  });

  live(
    'reports the working directory read by the kernel on an exec that exits at once, on its parent, and after a chdir',
    async () => {
      const deep = join(T, 'deep', 'n'.repeat(60));
      const d = await s.run(`cd ${deep} && /bin/true wd1; ( cd /var && /bin/true wd2 ); :`);
      const one = execOf(d, 'wd1')!;
      expect(get(one, 'process.working_directory')).toBe(deep);
      expect(get(one, 'process.parent.working_directory')).toBe(deep);
      expect(get(execOf(d, 'wd2')!, 'process.working_directory')).toBe('/var');
      // every exec of the workload has one
      expect(byAction(d, 'exec').every((x) => typeof get(x, 'process.working_directory') === 'string')).toBe(
        true,
      );
    },
  );

  live(
    'reports the working directory on every exec of an exec flood, from a directory 8 levels deep',
    async () => {
      // before issue 12 it came from /proc and was on ~1 % of the execs of a flood
      const deep = join(T, 'flood', 'a', 'b', 'c', 'd', 'e', 'f', 'g');
      mkdirSync(deep, { recursive: true });
      const d = await s.run(`cd ${deep} && for i in $(seq 2000); do /bin/true flood$i; done`);
      const floods = byAction(d, 'exec').filter((x) =>
        String((get(x, 'process.args') as string[])[1]).startsWith('flood'),
      );
      expect(floods.length).toBe(2000);
      expect(floods.filter((x) => get(x, 'process.working_directory') !== deep)).toEqual([]);
    },
    120_000,
  );

  live(
    'reports the controlling terminal and interactive on the process and its parent, and none without one',
    async () => {
      const d = await s.run('script -qc "/bin/true intty; :" /dev/null; /bin/true notty');
      const tty = execOf(d, 'intty')!;
      expect(get(tty, 'process.interactive')).toBe(true);
      expect(get(tty, 'process.tty.char_device.major')).toBeGreaterThanOrEqual(136);
      expect(get(tty, 'process.parent.interactive')).toBe(true);
      const none = execOf(d, 'notty')!;
      expect(get(none, 'process.interactive')).toBe(false);
      expect(get(none, 'process.tty')).toBeUndefined();
    },
  );

  live(
    'marks a process whose argument is not UTF-8 as byte-escaped, and the parent block of its child',
    async () => {
      const d = await s.run(`bash -c '/bin/true esc; :' x $'\\xff'`);
      const sh = d.find(
        (x) => get(x, 'event.action') === 'exec' && (get(x, 'process.args') as string[]).includes('\\xff'),
      )!;
      expect(get(sh, 'process.Ext.bytes_escaped')).toBe(true);
      const child = execOf(d, 'esc')!;
      expect(get(child, 'process.Ext.bytes_escaped')).toBeUndefined();
      expect(get(child, 'process.parent.Ext.bytes_escaped')).toBe(true);
    },
  );

  live(
    'reports file creation, rename and deletion (the file kinds of the catalogue), byte-escaped names marked',
    async () => {
      const d = await s.run(
        `cd ${T} && : > a.txt && mv a.txt b.log && rm b.log && : > $'\\xff.bin' && rm -f $'\\xff.bin'`,
      );
      const file = (action: string, name: string) =>
        d.find((x) => get(x, 'event.action') === action && get(x, 'file.name') === name);
      expect(get(file('creation', 'a.txt')!, 'file.extension')).toBe('txt');
      const mv = file('rename', 'b.log')!;
      expect(get(mv, 'file.Ext.original.path')).toBe(join(T, 'a.txt'));
      expect(get(mv, 'file.Ext.original.extension')).toBe('txt');
      expect(get(file('deletion', 'b.log')!, 'file.directory')).toBe(T);
      expect(get(file('creation', '\\xff.bin')!, 'file.Ext.bytes_escaped')).toBe(true);
    },
  );

  live('names the capabilities a non-root process holds, and the full set of root', async () => {
    const d = await s.run(
      'setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+sys_ptrace --ambient-caps=+sys_ptrace /bin/true caps; /bin/true rootcaps',
    );
    const nobody = execOf(d, 'caps')!;
    expect(get(nobody, 'user.id')).toBe('65534');
    expect(get(nobody, 'process.thread.capabilities.effective')).toEqual(['CAP_SYS_PTRACE']);
    expect(get(nobody, 'process.thread.capabilities.permitted')).toEqual(['CAP_SYS_PTRACE']);
    expect(get(execOf(d, 'rootcaps')!, 'process.thread.capabilities.effective')).toContain('CAP_SYS_ADMIN');
  });

  live('captures the named environment variables at exec and nothing else of the environment', async () => {
    const d = await s.run('/bin/true env; :', { HISTFILE: '/dev/null', SECRET_TOKEN: 'hunter2-secret' });
    expect(get(execOf(d, 'env')!, 'process.env_vars')).toEqual(['HISTFILE=/dev/null']);
    // every document kept, the host's too (one at a time: a storm next door makes them many)
    expect(s.docs.filter((x) => JSON.stringify(x).includes('hunter2-secret'))).toEqual([]);
  });

  live(
    'reports uid_change and gid_change for setres*id(2) and for the exec of a set-user-ID program',
    async () => {
      const d = await s.run(
        `${PY} -c "import os; os.setresgid(65534,65534,65534); os.setresuid(65534,65534,65534)"; setpriv --reuid=65534 --regid=65534 --clear-groups ${T}/id-suid`,
      );
      const gid = byAction(d, 'gid_change').find((x) => get(x, 'process.name') === 'python3')!;
      expect(get(gid, 'group.id')).toBe('65534');
      expect(get(gid, 'event.type')).toEqual(['change']);
      const uid = byAction(d, 'uid_change').find((x) => get(x, 'process.name') === 'python3')!;
      expect([get(uid, 'user.id'), get(uid, 'user.Ext.real.id')]).toEqual(['65534', '65534']);
      const suid = execOf(d, `${T}/id-suid`, 'id-suid')!;
      expect([get(suid, 'user.id'), get(suid, 'user.Ext.real.id')]).toEqual(['0', '65534']);
      const after = byAction(d, 'uid_change').find((x) => get(x, 'process.executable') === `${T}/id-suid`)!;
      expect(get(after, 'user.id')).toBe('0');
      expect(get(after, 'event.sequence') as number).toBeGreaterThan(get(suid, 'event.sequence') as number);
    },
  );

  live(
    'reports an accepted connection with the peer as source and the listener as destination, the connect with its local end, and both disconnects with their bytes',
    async () => {
      const script = [
        'import socket',
        's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)',
        'c = socket.create_connection(s.getsockname()); a, _ = s.accept()',
        'a.sendall(b"hello"); c.recv(5); c.close(); a.close()',
        'port = s.getsockname()[1]; s.close()',
        '# the listener is gone: a refused attempt (error.code)',
        'r = socket.socket()',
        'try: r.connect(("127.0.0.1", port))',
        'except OSError: pass',
      ].join('\n');
      writeFileSync(join(T, 'accept.py'), script);
      const d = await s.run(`${PY} ${T}/accept.py`);
      const acc = byAction(d, 'connection_accepted')[0]!;
      const con = byAction(d, 'connection_attempted')[0]!;
      expect(get(acc, 'network.direction')).toBe('ingress');
      expect(get(acc, 'destination.port')).toBe(get(con, 'destination.port'));
      expect(get(acc, 'source.port')).toBe(get(con, 'source.port'));
      expect(get(con, 'source.ip')).toBe('127.0.0.1');
      const bytes = byAction(d, 'disconnect_received').map((x) => [
        get(x, 'source.bytes'),
        get(x, 'destination.bytes'),
      ]);
      // the client sent nothing and received 5 bytes; the accepted socket sent 5 and received the
      // client's FIN, which the kernel counts as a byte (tcp_sock.bytes_received)
      expect(bytes).toEqual(
        expect.arrayContaining([
          [0, 5],
          [5, 1],
        ]),
      );
      expect(byAction(d, 'connection_attempted').some((x) => get(x, 'error.code') === 'ECONNREFUSED')).toBe(
        true,
      );
    },
  );

  live('moves a job to its own process group as setpgid does (bash job control)', async () => {
    const d = await s.run('set -m; /bin/sleep 0.05 & wait');
    const sleep = byAction(d, 'exec').find((x) => get(x, 'process.name') === 'sleep')!;
    expect(get(sleep, 'process.group_leader.pid')).toBe(get(sleep, 'process.pid'));
  });

  it('reports a process running before the collector as already_running', () => {
    const d = byAction(s.docs, 'already_running').find((x) => get(x, 'process.pid') === early.pid);
    expect(d && get(d, 'event.type')).toEqual(['info']);
    expect(d && get(d, 'process.args')).toEqual(['/bin/sleep', '60']);
  });

  live(
    'starts a container entry where a process enters new pid and mount namespaces, not where a binary is named like a runtime',
    async () => {
      const d = await s.run(
        `unshare -fpm --mount-proc /bin/true inns; ${T}/conmon -c '/bin/true underconmon; :'`,
      );
      const ct = execOf(d, 'inns')!;
      expect(get(ct, 'process.entry_leader.entry_meta.type')).toBe('container');
      expect(get(ct, 'process.entry_leader.pid')).toBe(get(ct, 'process.pid'));
      expect(get(execOf(d, 'underconmon')!, 'process.entry_leader.entry_meta.type')).not.toBe('container');
    },
  );

  live('reports the exit status byte, 0 for a process killed by a signal (as elastic/ebpf)', async () => {
    const d = await s.run(`sh -c 'exit 3'; sh -c 'kill -9 $$'; :`);
    const codes = byAction(d, 'end')
      .filter((x) => get(x, 'process.name') === 'sh')
      .map((x) => get(x, 'process.exit_code'));
    expect(codes.sort()).toEqual([0, 3]);
  });

  live('keeps the images a process ran before in process.previous', async () => {
    const d = await s.run(`cd ${T} && ./zoom -c 'exec /bin/true prev'`);
    const prev = (get(execOf(d, 'prev')!, 'process.previous') as Doc[]).map((x) => x.executable);
    expect(prev).toContain('./zoom');
    // the relative path as exec'd, and where it resolves
    const zoom = byAction(d, 'exec').find((x) => get(x, 'process.name') === 'zoom')!;
    expect(get(zoom, 'process.Ext.resolved_executable')).toBe(`${T}/zoom`);
  });

  live('counts the arguments of a command line cut at the argv bound (argc from the kernel)', async () => {
    const arg = 'x'.repeat(300);
    const d = await s.run(`/bin/true cut ${Array(6).fill(arg).join(' ')} a b c`);
    const e = execOf(d, 'cut')!;
    expect(get(e, 'process.Ext.command_line_truncated')).toBe(true);
    expect(get(e, 'process.args_count')).toBe(11);
  });

  it.skipIf(!existsSync('/sys/kernel/tracing/events/module/module_load'))(
    'reports a module load with its taint flags (kernels with CONFIG_MODULES only)',
    async () => {
      const d = await s.run('modprobe dummy && modprobe -r dummy');
      expect(byAction(d, 'load_module').map((x) => get(x, 'process.Ext.load_module.name'))).toContain(
        'dummy',
      );
    },
  );
  if (!existsSync('/sys/kernel/tracing/events/module/module_load')) {
    process.stderr.write(
      'SKIPPED (no module:module_load tracepoint: this kernel has CONFIG_MODULES off, no modules can be loaded): load_module on the real kernel\n',
    );
  }

  live('gives a process in a container cgroup its container.id', async () => {
    const root = '/sys/fs/cgroup/unified';
    const cg2 = existsSync(join(root, 'cgroup.procs')) ? root : '/sys/fs/cgroup';
    const id = 'ab'.repeat(32);
    const dir = join(cg2, `docker-${id}.scope`);
    if (!existsSync(dir)) {
      mkdirSync(dir);
      cgroups.push(dir);
    }
    const d = await s.run(`echo $$ > ${dir}/cgroup.procs && /bin/true incg; echo $$ > ${cg2}/cgroup.procs`);
    expect(get(execOf(d, 'incg')!, 'container.id')).toBe(id);
  });

  it('parses every line of the protocol 3 program: no malformed line', () => {
    // (an exec under way while the probes attach may be incomplete: not asserted here)
    expect(s.collector.stats().malformed).toBe(0);
  });

  // The catalogue, after every workload above (vitest runs a file's tests in order).
  it('catalogues every field of every real document for its kind, with the kind’s constant values', () => {
    const wrong: string[] = [];
    for (const d of s.docs) {
      const k = EVENT_KINDS.find(
        (x) =>
          x.category === (get(d, 'event.category') as string[])[0] && x.action === get(d, 'event.action'),
      );
      if (!k) {
        wrong.push(`no kind for ${get(d, 'event.category')}/${get(d, 'event.action')}`);
        continue;
      }
      for (const [f, v] of Object.entries(k.constants)) {
        if (JSON.stringify(get(d, f)) !== JSON.stringify(v))
          wrong.push(`${k.action}: ${f} = ${JSON.stringify(get(d, f))}`);
      }
      for (const f of fieldNames(d)) {
        if (!(f in k.constants) && !k.fields.has(f)) wrong.push(`${k.action}: ${f} not catalogued`);
      }
    }
    expect([...new Set(wrong)]).toEqual([]);
  });

  it('sees every catalogued field in real documents (what all kinds of a data stream share in any of its documents, the rest per kind)', () => {
    const present = new Map<string, Set<string>>();
    for (const d of s.docs) {
      const key = `${(get(d, 'event.category') as string[])[0]}/${get(d, 'event.action')}`;
      const set = present.get(key) ?? new Set<string>();
      for (const f of fieldNames(d)) set.add(f);
      present.set(key, set);
    }
    // the parent's and the leaders' blocks are built by one function (ecs-process.ts buildRelative)
    const RELATIVES = /^process\.(parent|group_leader|session_leader|entry_leader)\./;
    const asRelative = (f: string) => f.replace(RELATIVES, 'process.RELATIVE.');
    // the fields every kind (or every kind of a category) has come from code all of them share
    // (ProcessDoc, the user blocks): seen in any of their documents, they are seen for all of them
    const group = (kinds: typeof EVENT_KINDS, keyPrefix: string) => {
      const names = new Set(
        [...present].filter(([key]) => key.startsWith(keyPrefix)).flatMap(([, v]) => [...v]),
      );
      return {
        shared: new Set([...kinds[0]!.fields].filter((f) => kinds.every((k) => k.fields.has(f)))),
        names,
        relatives: new Set([...names].map(asRelative)),
      };
    };
    const all = group(EVENT_KINDS, '');
    const inCategory = (cat: string) =>
      group(
        EVENT_KINDS.filter((k) => k.category === cat),
        `${cat}/`,
      );
    const seenIn = (g: ReturnType<typeof group>, f: string) =>
      g.shared.has(f) && (g.names.has(f) || (RELATIVES.test(f) && g.relatives.has(asRelative(f))));
    const exempt: Record<string, string> = {
      // set only when a process could be found neither in the table nor in /proc (lost records)
      'eqld.unresolved': 'needs lost kernel records; unit-tested in normalizer.test.ts',
    };
    const missing: string[] = [];
    for (const k of EVENT_KINDS) {
      const key = `${k.category}/${k.action}`;
      const got = present.get(key);
      if (!got) {
        if (k.action === 'load_module' && !existsSync('/sys/kernel/tracing/events/module/module_load'))
          continue;
        missing.push(`${key}: no document at all`);
        continue;
      }
      const cat = inCategory(k.category);
      for (const f of k.fields) {
        if (f in exempt) continue;
        const seen = seenIn(all, f) || seenIn(cat, f) || got.has(f);
        if (!seen) missing.push(`${key}: ${f}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
