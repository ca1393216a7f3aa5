# eqld in a privileged container. A thin wrapper over scripts/install.sh (which is tested);
# there is no Docker engine on our build machines, so this file itself is not.
#
#   docker build -t eqld .
#   docker run --rm --privileged --pid=host \
#     -v /sys/kernel/tracing:/sys/kernel/tracing -v /sys/kernel/btf:/sys/kernel/btf:ro \
#     -v /etc/machine-id:/etc/machine-id:ro -v /dev/log:/dev/log \
#     -v /var/lib/eqld:/var/lib/eqld eqld
#
# --pid=host: eqld must see the host's processes in /proc (process table, entity ids);
# --privileged: bpftrace needs CAP_SYS_ADMIN/CAP_BPF/CAP_PERFMON;
# /etc/machine-id: host.id and entity ids must be the host's, not the image's.
FROM node:20-bookworm-slim
COPY . /src/eqld
RUN apt-get update \
 && apt-get install -y --no-install-recommends bpftrace python3 make g++ util-linux \
 && cd /src/eqld && bash scripts/install.sh --no-start \
 && apt-get purge -y make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* /src/eqld
ENTRYPOINT ["/usr/local/bin/eqld"]
CMD ["run", "--config", "/etc/eqld/eqld.toml"]
