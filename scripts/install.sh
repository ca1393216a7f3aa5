#!/usr/bin/env bash
# Installs eqld from this checkout: /opt/eqld (the built agent, its production node_modules, the
# bundled rules and the bpftrace program), /usr/local/bin/eqld, /etc/systemd/system/eqld.service,
# /etc/eqld/eqld.toml (never overwritten once present: a newer default goes to eqld.toml.dist) and
# /etc/eqld/rules/ for local rules, /etc/logrotate.d/eqld. Idempotent. Installs bpftrace with apt-get when missing.
#
#   scripts/install.sh [--root DIR] [--no-start]
#     --root DIR   install under DIR instead of / (a scratch root: no apt-get, no systemctl)
#     --no-start   install and enable nothing at boot; do not start the service
set -euo pipefail

ROOT=""
START=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; ROOT="$(cd "$ROOT" && pwd)"; shift 2 ;;
    --no-start) START=0; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

SRC="$(cd "$(dirname "$0")/.." && pwd)"
say() { echo "install.sh: $*"; }
die() { echo "install.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (bpftrace 0.17 needs effective uid 0, and the files go under /opt, /etc and /usr/local)"

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}
node_ok || die "Node.js >= 20.19 is required (found: $(node --version 2>/dev/null || echo none)); Debian bookworm's nodejs is too old: install it from nodejs.org or NodeSource first"

if [ -z "$ROOT" ] && ! command -v bpftrace >/dev/null 2>&1; then
  say "installing bpftrace"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bpftrace >/dev/null
fi

# the agent is built in the checkout (npm ci + tsc), then copied with production modules only
if [ ! -f "$SRC/dist/cli/main.js" ] || [ ! -d "$SRC/node_modules" ]; then
  say "building eqld in $SRC"
  (cd "$SRC" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
fi

OPT="$ROOT/opt/eqld"
STAGE="$ROOT/opt/.eqld.new"
rm -rf "$STAGE"
mkdir -p "$STAGE"
cp -a "$SRC/dist" "$SRC/bpf" "$SRC/rules" "$SRC/config" "$SRC/systemd" "$SRC/package.json" \
  "$SRC/package-lock.json" "$SRC/README.md" "$STAGE/"
mkdir -p "$STAGE/docs" "$STAGE/scripts"
cp -a "$SRC/docs/." "$STAGE/docs/" 2>/dev/null || true
cp -a "$SRC/scripts/install.sh" "$SRC/scripts/uninstall.sh" "$STAGE/scripts/"
cp -a "$SRC/node_modules" "$STAGE/"
(cd "$STAGE" && npm prune --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
# swap in the new tree in one rename, so a running agent never sees a half-copied one
if [ -d "$OPT" ]; then rm -rf "$OPT.old" && mv "$OPT" "$OPT.old"; fi
mv "$STAGE" "$OPT"
rm -rf "$OPT.old"
chmod 0755 "$OPT/dist/cli/main.js"
say "installed $OPT"

mkdir -p "$ROOT/usr/local/bin"
ln -sfn ../../../opt/eqld/dist/cli/main.js "$ROOT/usr/local/bin/eqld"

install -d -m 0755 "$ROOT/etc/eqld" "$ROOT/etc/eqld/rules"
CONF="$ROOT/etc/eqld/eqld.toml"
if [ ! -e "$CONF" ]; then
  install -m 0644 "$SRC/config/eqld.toml" "$CONF"
  say "wrote $CONF"
elif ! cmp -s "$SRC/config/eqld.toml" "$CONF"; then
  install -m 0644 "$SRC/config/eqld.toml" "$CONF.dist"
  say "kept your $CONF; the new default is in $CONF.dist"
fi
install -d -m 0755 "$ROOT/etc/logrotate.d"
install -m 0644 "$SRC/config/logrotate" "$ROOT/etc/logrotate.d/eqld"
install -d -m 0700 "$ROOT/var/lib/eqld"
install -d -m 0750 "$ROOT/var/log/eqld"

install -d -m 0755 "$ROOT/etc/systemd/system"
install -m 0644 "$SRC/systemd/eqld.service" "$ROOT/etc/systemd/system/eqld.service"

if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ "$START" -eq 1 ]; then
    systemctl enable --now eqld.service
    say "eqld.service enabled and started (journalctl -u eqld; alerts go to syslog facility authpriv)"
  fi
elif [ -z "$ROOT" ]; then
  say "systemd is not running here: start eqld with: eqld run"
fi
say "done; check the host with: eqld doctor"
