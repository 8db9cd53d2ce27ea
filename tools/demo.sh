#!/usr/bin/env bash
# Sets up (apt + npm, as root) and runs the demo: build raslog.ko, boot Debian's kernel
# in qemu with it, produce each event kind over four boots, print the decoded records.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in linux-image-amd64 linux-headers-amd64 make gcc libc6-dev bc kmod qemu-system-x86 busybox-static cpio xz-utils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "demo: missing Debian packages: ${need[*]} (run as root, or apt-get install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
exec node --import=tsx tools/demo.ts "$@"
