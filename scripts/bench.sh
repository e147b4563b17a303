#!/usr/bin/env bash
# `make bench`: deploy the stack with playbooks/site.yml into one throwaway systemd container,
# timing the first converge, a no-change re-run and a code-only redeploy (bench/deploy.py), then
# measure it side by side with Flask's development server, Gunicorn direct, WhiteNoise on Gunicorn
# (static files), an on-the-fly gzip vhost and the app called in-process (bench/run.py). Results:
# results/bench/bench.{json,md,png}; ratios and goals (met / missed) on stdout.
#
#   scripts/bench.sh [--smoke] [--keep] [bench/run.py options...]
#
#   --smoke            one short case (stack HTTPS, 16 connections, 2 s); fails unless it served
#                      requests without errors and wrote all three files (run by `make test`)
#   --keep             leave the container running afterwards; a running one is reused next time
#   anything else      passed to bench/run.py (see `python -m bench.run --help`), e.g.
#                      --only 'dynamic/.*/c16' --repeats 5 --duration 5
#
# A full run also deploys the peer issue 12 compares against (bench/peer/site.yml:
# geerlingguy.nginx and a hand-written Gunicorn unit) into a second, fresh container from the same
# image, always removed afterwards; the smoke test leaves it out (a minute of `make test`).
#
# Environment: BENCH_CONTAINER (flaskstack-bench; flaskstack-bench-smoke with --smoke),
# FLASKSTACK_IMAGE_DEBIAN12 (the test image), BENCH_BUDGET (570: seconds for the whole run,
# deployment included).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$PWD/ansible.cfg"

image=${FLASKSTACK_IMAGE_DEBIAN12:-flaskstack/debian:bookworm}
keep=0
smoke=0
run_args=()
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --smoke) smoke=1; run_args+=("$arg") ;;
    *) run_args+=("$arg") ;;
  esac
done
# The smoke test (in `make test`) has its own container and folder: it never touches a full run's.
if [ "$smoke" = 1 ]; then
  name=${BENCH_CONTAINER:-flaskstack-bench-smoke}
  out=results/bench-smoke
else
  name=${BENCH_CONTAINER:-flaskstack-bench}
  out=results/bench
fi
export BENCH_CONTAINER=$name  # bench/inventory.yml targets it
peer=""
[ "$smoke" = 1 ] || peer=$name-peer

say() { printf '\033[1mbench:\033[0m %s\n' "$*"; }
# shellcheck source=scripts/systemd-container.sh
. scripts/systemd-container.sh
start=$SECONDS

scripts/ensure-docker.sh
if [ "$image" = flaskstack/debian:bookworm ]; then
  scripts/build-images.sh bookworm
fi

cleanup() {
  [ -z "$peer" ] || docker rm -f "$peer" >/dev/null 2>&1 || true
  if [ "$keep" = 0 ]; then
    docker rm -f "$name" >/dev/null 2>&1 || true
  else
    say "kept container $name (docker rm -f $name)"
  fi
}
trap cleanup EXIT

reused=0
if [ -z "$(docker ps -q --filter "name=^${name}$")" ]; then
  docker rm -f "$name" >/dev/null 2>&1 || true
  say "starting $name from $image"
  # NET_ADMIN: site.yml loads the firewall (nftables) in the container's network namespace.
  systemd_container_run "$name" "$name" "$image" --cap-add NET_ADMIN
  systemd_container_wait "$name" || say "systemd in $name is not up after 60 s; going on"
else
  say "reusing running container $name"
  reused=1
fi

mkdir -p "$out"

# Test-bed plumbing, not timed: controller_ca.yml only matters behind a TLS-intercepting proxy
# (the container must reach PyPI).
ansible-playbook -i bench/inventory.yml molecule/resources/controller_ca.yml >"$out/controller_ca.log" 2>&1 \
  || { tail -n 40 "$out/controller_ca.log" >&2; exit 1; }
if [ -n "$peer" ]; then
  docker rm -f "$peer" >/dev/null 2>&1 || true
  say "starting $peer from $image (the peer's)"
  systemd_container_run "$peer" "$peer" "$image"
  systemd_container_wait "$peer" || say "systemd in $peer is not up after 60 s; going on"
  BENCH_PEER_CONTAINER=$peer ansible-playbook -i bench/peer/inventory.yml molecule/resources/controller_ca.yml \
    >"$out/controller_ca-peer.log" 2>&1 || { tail -n 40 "$out/controller_ca-peer.log" >&2; exit 1; }
fi

# The browser bench/lcp.py drives (full runs only: `make test`'s smoke run needs none of it):
# Debian's Chromium and its driver on this host, selenium in .venv (pinned in bench/requirements.txt).
if [ "$smoke" = 0 ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing chromium and chromium-driver (apt-get) for the LCP measurement"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      chromium chromium-driver >"$out/apt-chromium.log" 2>&1 \
      || { tail -n 20 "$out/apt-chromium.log" >&2; exit 1; }
  fi
  python -m pip install -q --disable-pip-version-check -r bench/requirements.txt
fi

# The deploy section: first converge, no-change re-run and code-only redeploy of site.yml, each
# timed with its task counts (bench/deploy.py); the measurements below run on the redeployed stack.
t=$SECONDS
say "deploying: playbooks/site.yml three times${peer:+, then the peer twice} (logs: $out/deploy-*.log)"
deploy_args=(--peer-container "$peer")
[ "$reused" = 1 ] && deploy_args+=(--reused)
python -m bench.deploy --out "$out" "${deploy_args[@]}"
say "deploy section done in $((SECONDS - t))s"

# `make bench` must finish within 10 minutes: whatever the deploy section left of BENCH_BUDGET
# (570 s) goes to the measurements (bench/run.py shortens cases, or drops a last round, to fit).
if [ "$smoke" = 0 ]; then
  left=$(( ${BENCH_BUDGET:-570} - (SECONDS - start) ))
  [ "$left" -ge 150 ] || left=150
  run_args=(--budget "$left" "${run_args[@]}")
fi
python -m bench.run --container "$name" --out "$out" --deploy "$out/deploy.json" "${run_args[@]}"
say "done in $((SECONDS - start))s"
