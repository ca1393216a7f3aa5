// Host facts every ECS event carries (host.*, the inputs of entity ids): machine id, boot id,
// hostname, os-release and kernel. Read once at start-up; this module does no enrichment itself.

import { readFile, readlink } from 'node:fs/promises';
import { arch, hostname, networkInterfaces, release, version } from 'node:os';
import { agentPidNamespace, INIT_PID_NS_INODE, namespaceInode } from '../collector/pid-namespace.js';

export interface HostOs {
  type: 'linux';
  family?: string;
  name?: string;
  version?: string;
  platform?: string;
  full?: string;
  /** `uname -r` then `uname -v`, the form Elastic Defend reports */
  kernel: string;
}

export interface HostInfo {
  /** /etc/machine-id (32 hex digits), ECS host.id */
  id: string;
  /** /proc/sys/kernel/random/boot_id, new at every boot */
  bootId: string;
  hostname: string;
  name: string;
  architecture: string;
  os: HostOs;
  /** USER_HZ: the unit of /proc/PID/stat start times (100 on every Linux ABI eqld targets) */
  clkTck: number;
  /** inode numbers of the host's (pid 1's) pid and mount namespaces, when readable: a process in
   *  other namespaces than its parent's and these is in a container */
  pidNs?: number;
  mntNs?: number;
  /** set when eqld runs in a pid namespace other than the kernel's initial one (the inode of
   *  its own): /proc then numbers processes differently from the kernel, so no process facts are
   *  read from it (collector/pid-namespace.ts); pidNs is then the initial namespace and mntNs
   *  unknown (pid 1 of this /proc is the container's init, not the host's) */
  foreignPidNamespace?: number;
  /** ECS host.ip: the addresses of the host's interfaces at start-up, loopback left out */
  ip?: string[];
}

/** The non-loopback addresses of the host's interfaces (IPv6 link-local scope ids dropped). */
export function hostAddresses(): string[] {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal) out.add(a.address.replace(/%.*$/, ''));
  }
  return [...out];
}

export class HostInfoError extends Error {
  override readonly name = 'HostInfoError';
}

export interface ReadHostInfoOptions {
  /** prefix for /etc and /proc paths (tests) */
  root?: string;
}

/** Parses os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2] ?? '';
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      v = v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    }
    out[m[1] as string] = v;
  }
  return out;
}

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', arm: 'armv7l' };

async function readTrim(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new HostInfoError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export async function readHostInfo(opts: ReadHostInfoOptions = {}): Promise<HostInfo> {
  const root = opts.root ?? '';
  const id = await readTrim(`${root}/etc/machine-id`);
  if (!/^[0-9a-f]{32}$/.test(id)) {
    throw new HostInfoError(`Expected /etc/machine-id to hold 32 hex digits, got \`${id}\``);
  }
  const bootId = await readTrim(`${root}/proc/sys/kernel/random/boot_id`);
  let osr: Record<string, string> = {};
  for (const p of [`${root}/etc/os-release`, `${root}/usr/lib/os-release`]) {
    try {
      osr = parseOsRelease(await readFile(p, 'utf8'));
      break;
    } catch {
      // os-release(5): /etc first, then /usr/lib
    }
  }
  const host = hostname();
  const os: HostOs = { type: 'linux', kernel: `${release()} ${version()}`.trim() };
  if (osr.ID_LIKE ?? osr.ID) os.family = (osr.ID_LIKE ?? osr.ID)?.split(' ')[0];
  if (osr.NAME) os.name = osr.NAME;
  if (osr.VERSION ?? osr.VERSION_ID) os.version = osr.VERSION ?? osr.VERSION_ID;
  if (osr.ID) os.platform = osr.ID;
  if (osr.PRETTY_NAME) os.full = osr.PRETTY_NAME;
  const info: HostInfo = {
    id,
    bootId,
    hostname: host,
    name: host,
    architecture: ARCH[arch()] ?? arch(),
    os,
    clkTck: 100,
  };
  const ns = async (kind: string) =>
    namespaceInode(await readlink(`${root}/proc/1/ns/${kind}`).catch(() => ''));
  const own = agentPidNamespace(`${root}/proc`);
  if (own.initial) {
    const pidNs = await ns('pid');
    const mntNs = await ns('mnt');
    if (pidNs !== undefined) info.pidNs = pidNs;
    if (mntNs !== undefined) info.mntNs = mntNs;
  } else {
    info.pidNs = INIT_PID_NS_INODE;
    if (own.inode !== undefined) info.foreignPidNamespace = own.inode;
  }
  const ip = hostAddresses();
  if (ip.length > 0) info.ip = ip;
  return info;
}
