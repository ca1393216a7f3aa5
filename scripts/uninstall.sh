#!/usr/bin/env bash
# Removes what scripts/install.sh installed: the service, /opt/eqld and /usr/local/bin/eqld.
# Keeps /etc/eqld (your config and rules), /var/lib/eqld (the alert spool) and /var/log/eqld
# unless --purge is given.
#
#   scripts/uninstall.sh [--root DIR] [--purge]
set -euo pipefail

ROOT=""
PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; ROOT="$(cd "$ROOT" && pwd)"; shift 2 ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "uninstall.sh: run as root" >&2; exit 1; }

if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
  systemctl disable --now eqld.service 2>/dev/null || true
fi
rm -f "$ROOT/etc/systemd/system/eqld.service" "$ROOT/etc/logrotate.d/eqld"
if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
if [ -L "$ROOT/usr/local/bin/eqld" ]; then rm -f "$ROOT/usr/local/bin/eqld"; fi
rm -rf "$ROOT/opt/eqld" "$ROOT/opt/.eqld.new" "$ROOT/opt/eqld.old"
if [ "$PURGE" -eq 1 ]; then
  rm -rf "$ROOT/etc/eqld" "$ROOT/var/lib/eqld" "$ROOT/var/log/eqld"
  echo "uninstall.sh: removed eqld, its config, spool and logs"
else
  echo "uninstall.sh: removed eqld; kept /etc/eqld, /var/lib/eqld and /var/log/eqld (--purge removes them)"
fi
