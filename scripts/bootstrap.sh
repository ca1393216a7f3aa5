#!/usr/bin/env bash
# Prepares a fresh Debian (bookworm) machine, as root, to build, run and test eqld:
# installs the Debian packages that are missing, mounts tracefs, installs the npm
# packages and builds. Idempotent: running it again changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
want_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || need+=("$1"); }
# bpftrace: the collector; make and g++: the unix-dgram addon (alerts to /dev/log) is built by
# node-gyp at npm ci; the rest are used by the test suite (real daemons, namespaces; rsyslog-gnutls
# for the TLS syslog tests; prometheus for promtool and a real scrape of the metrics endpoint;
# tmux for `eqld alerts show` in a real terminal; debootstrap, systemd-container, podman and runc
# for the deployment tests, which boot the unit under a real systemd and run the image)
for p in bpftrace rsyslog rsyslog-gnutls openssh-server openssh-client util-linux iproute2 systemd netcat-openbsd procps openssl make g++ prometheus tmux debootstrap systemd-container podman runc; do
  want_pkg "$p"
done
command -v python3 >/dev/null 2>&1 || need+=(python3) # node-gyp
if [ "${#need[@]}" -gt 0 ]; then
  echo "bootstrap: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # packages with a daemon (prometheus, rsyslog, sshd) must not start a system-wide one: the tests
  # start their own on loopback. A policy-rc.d that refuses (exit 101) is the Debian way; one the
  # machine already has is left as it is.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d /sys/kernel/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing || echo "bootstrap: could not mount tracefs (eqld doctor will say why)" >&2
fi

# eqld's default alert sink is the local syslog socket. systemd hosts have journald behind it; on
# a machine without an init that provides one, start the system rsyslogd (stock config: alerts,
# facility authpriv, land in /var/log/auth.log).
if [ ! -S /dev/log ] && command -v rsyslogd >/dev/null 2>&1; then
  echo "bootstrap: nothing listens on /dev/log; starting rsyslogd (alerts will be in /var/log/auth.log)"
  rsyslogd || echo "bootstrap: could not start rsyslogd; run eqld with --no-syslog --stdout" >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
