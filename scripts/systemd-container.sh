#!/usr/bin/env bash
# The test bed's systemd containers, started one way, for all of them: sourced by scripts/demo.sh
# and scripts/bench.sh, and run as `scripts/systemd-container.sh run ...` by Molecule's create
# step (molecule/resources/create.yml). systemd runs as PID 1 without --privileged:
# CAP_SYS_ADMIN, the host's cgroup tree read-write (cgroupns=host) and tmpfs on /run and
# /run/lock. Callers add what is their own, e.g. --cap-add NET_ADMIN where a firewall is loaded
# (nftables, in the container's own network namespace), ports, networks, host entries.
# FLASKSTACK_PRIVILEGED=true starts them with --privileged instead (old cgroup v1 kernels,
# SELinux enforcing).

# systemd_container_run NAME HOSTNAME IMAGE [more `docker run` options, e.g. -p ...]
systemd_container_run() {
  local name=$1 hostname=$2 image=$3 access
  shift 3
  access=(--cap-add SYS_ADMIN)
  if [ "${FLASKSTACK_PRIVILEGED:-false}" = true ]; then access=(--privileged); fi
  docker run -d --name "$name" --hostname "$hostname" "${access[@]}" \
    --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    "$@" "$image" >/dev/null
}

# systemd_container_wait NAME: until systemd in the container is up (60 s at most).
systemd_container_wait() {
  local state
  for _ in $(seq 1 60); do
    state=$(docker exec "$1" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) return 0 ;; esac
    sleep 1
  done
  return 1
}

# Run, not sourced: `scripts/systemd-container.sh run NAME HOSTNAME IMAGE [docker run options]`.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    run) shift; systemd_container_run "$@" ;;
    *) echo "usage: $0 run NAME HOSTNAME IMAGE [docker run options]" >&2; exit 2 ;;
  esac
fi
