// Encoders for the byte strings of the line protocol (bpf/FORMAT.md), as bpftrace prints
// them: little-endian 64-bit words, `%016llx` each. For tests and benchmarks that write
// lines the way the kernel program does; the parser's decoding is checked against these.

function word(bytes: Uint8Array, at: number): string {
  let s = '';
  for (let j = 7; j >= 0; j--) s += (bytes[at + j] ?? 0).toString(16).padStart(2, '0');
  return s;
}

/** `words` hex words holding `bytes` (zero-padded), as `%016llx` x words prints them. */
export function hexWords(bytes: Uint8Array, words: number): string {
  let s = '';
  for (let w = 0; w < words; w++) s += word(bytes, w * 8);
  return s;
}

/** comm as the program prints it: 16 NUL-padded bytes in two words (a name is cut at 15). */
export function commWords(name: string | Uint8Array): string {
  const b = new Uint8Array(16);
  b.set((typeof name === 'string' ? Buffer.from(name, 'latin1') : name).subarray(0, 15));
  return hexWords(b, 2);
}

/**
 * The `len words tail` fields of an exec_fn/exec_arg line for one chunk (<= 200 bytes): 4
 * words when the chunk fits 32 bytes, else 25; only whole words are in the words, the last
 * `len % 8` bytes are in the tail word (see hexWordArgs in src/collector/program.ts).
 */
export function chunkFields(chunk: Uint8Array): string {
  const len = chunk.length;
  const whole = len - (len % 8);
  const head = chunk.subarray(0, whole);
  const tail = chunk.subarray(whole);
  return `${len} ${hexWords(head, len <= 32 ? 4 : 25)} ${hexWords(tail, 1)}`;
}

/**
 * The fields protocol 3 added to an exec header after comm: `argc tty_major tty_minor cap_eff
 * cap_perm pidns mntns env_seen env_n cwd_lines` (defaults: no terminal, no capabilities, the
 * initial namespaces' inode numbers, no environment captured, no working-directory walk).
 */
export function execContext(
  o: {
    argc?: number;
    tty?: [number, number];
    caps?: [string, string];
    envSeen?: number;
    envN?: number;
    cwdLines?: number;
  } = {},
): string {
  const [maj, min] = o.tty ?? [0, 0];
  const [ce, cp] = o.caps ?? ['0', '0'];
  return `${o.argc ?? 1} ${maj} ${min} ${ce} ${cp} 4026531836 4026531832 ${o.envSeen ?? 0} ${o.envN ?? 0} ${o.cwdLines ?? 0}`;
}

/** The fields protocol 3 added to connect and tcpsyn lines before comm: `sport saddr cap_eff cap_perm`. */
export function connectSource(sport = 0, saddr = '0.0.0.0'): string {
  return `${sport} ${saddr} 0 0`;
}
