// Syslog facility and severity numbers (RFC 5424 section 6.2.1, table 1 and 2) and the mapping
// from a rule's severity to a syslog severity. Pure data; no formatting here.
import type { AlertRecord, Severity } from '../alert-record.js';

export const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** The default facility: command lines can hold secrets, and Debian's stock rsyslog writes authpriv
 *  only to /var/log/auth.log (mode 0640 root:adm), not to the world-readable-by-adm catch-all. */
export const DEFAULT_FACILITY = 'authpriv';

/** Rule severity -> syslog severity: critical=2 crit, high=3 err, medium=4 warning, low=5 notice. */
export const SEVERITY_CODES: Readonly<Record<Severity, number>> = {
  critical: 2,
  high: 3,
  medium: 4,
  low: 5,
};

export function syslogSeverity(alert: Pick<AlertRecord, 'rule'>): number {
  return SEVERITY_CODES[alert.rule.severity] ?? 4;
}

export class SyslogConfigError extends Error {
  override readonly name = 'SyslogConfigError';
}

export function facilityCode(name: string): number {
  const code = FACILITIES[name.toLowerCase()];
  if (code === undefined) {
    throw new SyslogConfigError(
      `Expected a syslog facility (${Object.keys(FACILITIES).join(', ')}), got \`${name}\``,
    );
  }
  return code;
}

/** PRI = facility * 8 + severity (RFC 5424 section 6.2.1) */
export function priority(facility: number, severity: number): number {
  return facility * 8 + severity;
}
