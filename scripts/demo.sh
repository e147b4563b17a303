#!/usr/bin/env bash
# `make demo`: a local target that behaves like a VM (systemd container with sshd, reached over
# SSH on a port published on 127.0.0.1), playbooks/site.yml against it through
# inventories/local, then the page fetched over HTTPS. `make demo-down` removes it.
#
#   scripts/demo.sh up|down|status|test
#
# `test` (run by `make test`): up, then site.yml again must report changed=0 on every host and
# the HTTPS page must still answer; the target is removed afterwards.
#
# Ports (127.0.0.1 only): DEMO_SSH_PORT (2222), DEMO_HTTP_PORT (8080), DEMO_HTTPS_PORT (8443).
set -euo pipefail
cd "$(dirname "$0")/.."

name=flaskstack-demo
image=flaskstack/demo-target:bookworm
state=.demo
ssh_port=${DEMO_SSH_PORT:-2222}
http_port=${DEMO_HTTP_PORT:-8080}
https_port=${DEMO_HTTPS_PORT:-8443}
server_name=app.flaskstack.test

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }
# shellcheck source=scripts/systemd-container.sh
. scripts/systemd-container.sh

up() {
  scripts/ensure-docker.sh
  scripts/build-images.sh bookworm
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    say "building $image (test image + sshd)"
    docker build -q -t "$image" --build-arg BASE=flaskstack/debian:bookworm scripts/demo >/dev/null
  fi
  mkdir -p "$state"
  [ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C flaskstack-demo -f "$state/id_ed25519"
  if [ -z "$(docker ps -q --filter "name=^${name}$")" ]; then
    docker rm -f "$name" >/dev/null 2>&1 || true
    say "starting $name (ssh 127.0.0.1:$ssh_port, http :$http_port, https :$https_port)"
    # NET_ADMIN: site.yml loads the firewall (nftables) in the container's network namespace.
    systemd_container_run "$name" demo "$image" --cap-add NET_ADMIN \
      -p "127.0.0.1:$ssh_port:22" -p "127.0.0.1:$http_port:80" -p "127.0.0.1:$https_port:443"
  fi
  docker cp "$state/id_ed25519.pub" "$name:/root/.ssh/authorized_keys"
  docker exec "$name" chown root:root /root/.ssh/authorized_keys
  for _ in $(seq 1 60); do
    if ssh -q -i "$state/id_ed25519" -p "$ssh_port" -o BatchMode=yes -o ConnectTimeout=2 \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1 true; then
      break
    fi
    sleep 1
  done

  # Test-bed plumbing: where this machine reaches PyPI through a TLS-intercepting proxy, the
  # target must trust the same local CAs (does nothing when there are none).
  ansible-playbook -i inventories/local molecule/resources/controller_ca.yml >"$state/controller-ca.log"

  say "ansible-playbook -i inventories/local playbooks/site.yml"
  ansible-playbook -i inventories/local playbooks/site.yml | tee "$state/site.log"

  # The self-signed CA of the demo host, to check the certificate rather than skip the check.
  docker cp "$name:/etc/ssl/flaskstack/sample/fullchain.pem" "$state/ca.pem"
  url="https://$server_name:$https_port/"
  curl_args=(--silent --show-error --fail --max-time 10 --cacert "$state/ca.pem"
    --resolve "$server_name:$https_port:127.0.0.1")
  say "GET ${url}healthz"
  answer=$(curl "${curl_args[@]}" "${url}healthz")
  echo "$answer"
  echo
  say "the site answers over HTTPS at $url"
  say "try: curl --cacert $state/ca.pem --resolve $server_name:$https_port:127.0.0.1 $url"
}

converge_again_unchanged() {
  say "second run: site.yml must change nothing"
  ansible-playbook -i inventories/local playbooks/site.yml | tee "$state/site-again.log"
  local recap
  recap=$(grep -E '^[^ ]+ +: ok=' "$state/site-again.log")
  if ! grep -qE 'changed=0 ' <<<"$recap" || grep -qE 'changed=[1-9]|failed=[1-9]|unreachable=[1-9]' <<<"$recap"; then
    echo "demo: the second run changed something or failed: $recap" >&2
    return 1
  fi
  say "second run: $recap"
}

test_demo() {
  trap down EXIT
  up
  converge_again_unchanged
  say "HTTPS after the second run: $(curl "${curl_args[@]}" "${url}healthz")"
}

down() {
  docker rm -f "$name" >/dev/null 2>&1 && say "removed $name" || say "no $name running"
  rm -rf "$state"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) docker ps --filter "name=^${name}$" ;;
  test) test_demo ;;
  *) echo "usage: $0 up|down|status|test" >&2; exit 2 ;;
esac
