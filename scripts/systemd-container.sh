# Sourced by scripts/demo.sh and scripts/bench.sh: the test bed's systemd containers, started one
# way. systemd runs as PID 1 without --privileged: CAP_SYS_ADMIN, the host's cgroup tree
# read-write (cgroupns=host) and tmpfs on /run and /run/lock; CAP_NET_ADMIN for site.yml's
# firewall (nftables, in the container's own network namespace). Molecule's platforms carry the
# same flags in .config/molecule/config.yml (YAML, which cannot source this file).

# systemd_container_run NAME HOSTNAME IMAGE [more `docker run` options, e.g. -p ...]
systemd_container_run() {
  local name=$1 hostname=$2 image=$3
  shift 3
  docker run -d --name "$name" --hostname "$hostname" \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock \
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
