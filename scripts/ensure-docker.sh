#!/usr/bin/env bash
# Make sure a Docker engine answers. On Debian as root, install Debian's docker.io and start
# dockerd in the background when none runs (CI starts on a fresh machine). Fail clearly otherwise.
set -euo pipefail

log=${DOCKERD_LOG:-/var/log/flaskstack-dockerd.log}
wait_s=${DOCKERD_WAIT:-60}

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "ensure-docker: no Docker engine answers 'docker info', and this is not root on Debian," >&2
  echo "ensure-docker: so it will not be installed for you. Start Docker and run again." >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "ensure-docker: starting dockerd (log: $log)"
  nohup dockerd >"$log" 2>&1 &
fi

for _ in $(seq 1 "$wait_s"); do
  if docker info >/dev/null 2>&1; then
    echo "ensure-docker: engine answers ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 1
done
echo "ensure-docker: dockerd did not answer within ${wait_s}s; last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
