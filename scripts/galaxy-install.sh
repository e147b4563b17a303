#!/usr/bin/env bash
# Build the collection tarball and install it into an empty collections path, as Galaxy users
# get it:   scripts/galaxy-install.sh DEST
set -euo pipefail
dest=${1:?usage: galaxy-install.sh DEST}
cd "$(dirname "$0")/.."
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
rm -rf "$dest"
mkdir -p "$dest"
ansible-galaxy collection build --output-path "$build" .
# Only DEST on the collections path: the checkout's collections/ link must not count as installed
# (the dependencies still resolve from the ansible package's bundle on the Python path).
ANSIBLE_COLLECTIONS_PATH="$dest" \
  ansible-galaxy collection install --collections-path "$dest" "$build"/flaskstack-web-*.tar.gz
