// The controlling terminal as the process table keeps it (tty_nr, the encoding of
// /proc/PID/stat field 7) and as ECS shows it: process.tty.char_device.{major,minor} and
// process.interactive. Pure functions.

/** tty_nr of a character device (the kernel's new_encode_dev, as /proc/PID/stat prints it) */
export function ttyNrOf(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
}

/** major and minor of a tty_nr; undefined for 0 (no controlling terminal) */
export function ttyDevice(ttyNr: number): { major: number; minor: number } | undefined {
  if (ttyNr === 0) return undefined;
  return { major: (ttyNr >> 8) & 0xfff, minor: (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00) };
}

export type TtyKind = 'none' | 'tty' | 'console' | 'pts' | 'other';

/** devices.txt: major 4 minor 0-63 virtual consoles, 5:1 /dev/console, 136-143 Unix98 ptys */
export function ttyKind(ttyNr: number): TtyKind {
  const d = ttyDevice(ttyNr);
  if (d === undefined) return 'none';
  if (d.major === 4 && d.minor < 64) return 'tty';
  if (d.major === 5 && d.minor === 1) return 'console';
  if (d.major >= 136 && d.major <= 143) return 'pts';
  return 'other';
}

/**
 * process.interactive: the controlling terminal is a terminal device: a Unix98 pty (majors
 * 136-143) or a tty of major 4 (virtual console or serial line, minors 0-255), as Auditbeat's
 * session processor decides it (elastic/beats x-pack/auditbeat/processors/sessionmd,
 * interactiveFromTTY / getTTYType). Elastic Defend's own rule is not published.
 */
export function isInteractive(ttyNr: number): boolean {
  const d = ttyDevice(ttyNr);
  if (d === undefined) return false;
  return (d.major === 4 && d.minor <= 255) || (d.major >= 136 && d.major <= 143);
}
