// The synthetic Defend-shaped ECS stream of the EQL bench (bench/eql.bench.ts): a pool of distinct
// seeded documents (exec/fork/end/session_id_change + network connection_attempted) that the bench
// cycles through; the codegen differential test evaluates rules on the same documents.
import { mulberry32 as rng } from './prng.js';

const NAMES = [
  'bash',
  'sh',
  'python3',
  'curl',
  'wget',
  'sshd',
  'cron',
  'systemd',
  'nc',
  'ls',
  'cat',
  'grep',
  'node',
  'git',
  'sudo',
  'id',
  'openssl',
  'perl',
];
const DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/tmp', '/home/u', '/opt/app'];
const IPS = [
  '10.0.0.5',
  '8.8.8.8',
  '1.1.1.1',
  '192.168.1.20',
  '127.0.0.1',
  '203.0.113.9',
  '2606:4700::1111',
  '::1',
];

/** A pool of distinct documents; the stream cycles through it with fresh timestamps. */
export function makeDocs(count: number): Record<string, unknown>[] {
  const r = rng(42);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)] as T;
  const docs: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const name = pick(NAMES);
    const pname = pick(NAMES);
    const entity = `e${Math.floor(r() * 5000)}`;
    const parentEntity = `e${Math.floor(r() * 5000)}`;
    const exe = `${pick(DIRS)}/${name}`;
    const args = [
      exe,
      ...Array.from({ length: Math.floor(r() * 4) }, () => pick(['-c', '-e', 'x', '/tmp/a', '--help', '-l'])),
    ];
    const process = {
      pid: 1000 + i,
      name,
      executable: exe,
      args,
      args_count: args.length,
      command_line: args.join(' '),
      working_directory: pick(DIRS),
      entity_id: entity,
      parent: {
        pid: 900,
        name: pname,
        executable: `/usr/bin/${pname}`,
        entity_id: parentEntity,
        args: [pname],
        command_line: pname,
      },
    };
    const roll = r();
    const base = {
      host: { id: 'h1', os: { type: 'linux' }, name: 'bench' },
      user: { id: r() < 0.3 ? '0' : '1000', name: r() < 0.3 ? 'root' : 'u' },
      process,
    };
    if (roll < 0.25) {
      docs.push({
        ...base,
        event: { category: ['network'], type: ['start'], action: 'connection_attempted' },
        destination: { ip: pick(IPS), port: pick([22, 80, 443, 4444, 53]) },
        source: { ip: '10.0.0.2', port: 40000 + (i % 20000) },
        network: { direction: 'egress', transport: 'tcp' },
      });
    } else if (roll < 0.3) {
      docs.push({ ...base, event: { category: ['process'], type: ['change'], action: 'session_id_change' } });
    } else if (roll < 0.45) {
      docs.push({
        ...base,
        event: { category: ['process'], type: ['end'], action: 'end' },
        process: { ...process, exit_code: 0 },
      });
    } else if (roll < 0.6) {
      docs.push({ ...base, event: { category: ['process'], type: ['start'], action: 'fork' } });
    } else {
      docs.push({ ...base, event: { category: ['process'], type: ['start'], action: 'exec' } });
    }
  }
  return docs;
}
