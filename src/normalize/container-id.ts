// container.id from a cgroup path, for the runtimes whose cgroup names carry the 64-hex container
// id (docker, containerd/CRI, CRI-O, podman/libpod, kubepods). No runtime API is queried.

const PATTERNS: RegExp[] = [
  // systemd driver: .../docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope
  /(?:docker|cri-containerd|crio|libpod|containerd)-([0-9a-f]{64})\.scope(?:\/|$)/,
  // cgroupfs driver: /docker/<id>, /kubepods/.../<id>, /libpod_parent/libpod-<id>, /lxc.payload... (no id)
  /\/(?:docker|kubepods[^/]*(?:\/[^/]+)*?|crio|containerd|machine\.slice\/libpod)\/([0-9a-f]{64})(?:\/|$)/,
];

/** The container id in a cgroup v1/v2 path, or undefined when the path is not a container's. */
export function containerIdFromCgroup(path: string | undefined): string | undefined {
  if (!path) return undefined;
  for (const re of PATTERNS) {
    const m = re.exec(path);
    if (m) return m[1];
  }
  // last resort: a path component that is exactly 64 hex digits under a kubepods/docker tree
  if (/kubepods|docker|containerd|crio|libpod/.test(path)) {
    const m = /\/([0-9a-f]{64})(?:\/|$)/.exec(path);
    if (m) return m[1];
  }
  return undefined;
}

/** The unified (v2) path from /proc/PID/cgroup text, else the first v1 path. */
export function cgroupPathFromProc(text: string): string | undefined {
  let first: string | undefined;
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    const j = line.indexOf(':', i + 1);
    if (i < 0 || j < 0) continue;
    const path = line.slice(j + 1);
    if (line.startsWith('0::')) return path;
    first ??= path;
  }
  return first;
}
