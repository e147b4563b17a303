#!/usr/bin/env bash
# Build systemd-capable Debian test images from Debian packages alone (no registry needed):
# debootstrap a minbase rootfs, trim what breaks or slows systemd in a container, docker import.
#
#   scripts/build-images.sh [--force] [bookworm|trixie ...]
#
# Tags: flaskstack/debian:<release>. An image that exists is kept unless --force is given.
# Users who pull their own images instead set FLASKSTACK_IMAGE_DEBIAN12 / FLASKSTACK_IMAGE_DEBIAN13
# (see .config/molecule/config.yml); this script is then not needed.
set -euo pipefail

force=0
releases=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    bookworm|trixie) releases+=("$arg") ;;
    *) echo "build-images: unknown argument '$arg' (use --force, bookworm, trixie)" >&2; exit 2 ;;
  esac
done
[ ${#releases[@]} -gt 0 ] || releases=(bookworm trixie)

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,ca-certificates,iproute2,procps

ensure_debootstrap() {
  command -v debootstrap >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "build-images: debootstrap is missing; install it (apt-get install debootstrap)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
}

trim_rootfs() {
  local root=$1
  # No consoles, no udev, no timers that run apt behind the tests' back.
  local unit
  for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
      systemd-udevd-control.socket systemd-udevd-kernel.socket systemd-udev-settle.service \
      apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
      e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-remount-fs.service \
      systemd-firstboot.service sys-kernel-config.mount sys-kernel-debug.mount \
      sys-kernel-tracing.mount sys-fs-fuse-connections.mount dev-hugepages.mount \
      systemd-modules-load.service proc-sys-fs-binfmt_misc.automount systemd-binfmt.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  # A container has no fstab to mount and no hostname to set from the image.
  : >"$root/etc/fstab"
  rm -f "$root/etc/machine-id" "$root/var/lib/dbus/machine-id"
  : >"$root/etc/machine-id"
  # Smaller and faster apt for the tests: no docs, no recommends.
  cat >"$root/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/locale/*
CFG
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$root/etc/apt/apt.conf.d/01-norecommends"
  # No package lists in the image, and no cache that claims otherwise (apt cache_valid_time).
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* 2>/dev/null || true
  # Ansible's apt cache_valid_time falls back to this directory's mtime: make it say "never".
  touch -d @0 "$root/var/lib/apt/lists"
}

build() {
  local release=$1 tag="flaskstack/debian:$1"
  if [ "$force" = 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    echo "build-images: $tag exists (use --force to rebuild)"
    return 0
  fi
  ensure_debootstrap
  local dir
  dir=$(mktemp -d "/tmp/flaskstack-rootfs-$release.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$dir'" RETURN
  echo "build-images: debootstrap $release into $dir"
  local start=$SECONDS
  if ! debootstrap --variant=minbase --include="$packages" "$release" "$dir" "$mirror" \
      >"$dir.log" 2>&1; then
    echo "build-images: debootstrap $release failed; last lines of $dir.log:" >&2
    tail -n 20 "$dir.log" >&2
    exit 1
  fi
  trim_rootfs "$dir"
  tar -C "$dir" -c . | docker import \
    --change 'CMD ["/sbin/init"]' \
    --change 'ENV container=docker' \
    - "$tag" >/dev/null
  rm -f "$dir.log"
  echo "build-images: $tag built in $((SECONDS - start))s"
}

for r in "${releases[@]}"; do
  build "$r"
done
