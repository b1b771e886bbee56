#!/usr/bin/env bash
# System packages a development machine (Debian/Ubuntu, root) needs beyond Node and npm; .ci/run
# runs it first. Installs only what is missing:
#  - curl, openssl, python3: real clients of the end-to-end tests (test certificates, s_client);
#  - python3-venv: the Python package test builds and installs the wheel in virtual environments;
#  - gcc, the Debian cross compiler and qemu-user-static: the native batch I/O addon is built for
#    both appliance architectures (scripts/build-batchio.js) and the other one is tested under
#    qemu user-mode emulation (test/agent/runtime/batch-io-other-arch.test.ts).
# cfn-lint (pip) is not installed here: the cfn-lint test needs it on the PATH.
set -euo pipefail

packages=""
for tool in curl openssl python3; do command -v "$tool" >/dev/null || packages="$packages $tool"; done
python3 -c 'import ensurepip, venv' 2>/dev/null || packages="$packages python3-venv"

case "$(uname -m)" in
  x86_64) cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross libstdc++6-arm64-cross"; cc=aarch64-linux-gnu-gcc; qemu=qemu-aarch64-static; root=/usr/aarch64-linux-gnu ;;
  aarch64) cross="gcc-x86-64-linux-gnu libc6-dev-amd64-cross libstdc++6-amd64-cross"; cc=x86_64-linux-gnu-gcc; qemu=qemu-x86_64-static; root=/usr/x86_64-linux-gnu ;;
  *) echo "setup-debian: unsupported machine $(uname -m) (x86_64 or aarch64)" >&2; exit 1 ;;
esac
if ! command -v gcc >/dev/null || ! command -v "$cc" >/dev/null || ! command -v "$qemu" >/dev/null || [ ! -e "$root/lib/libstdc++.so.6" ]; then
  packages="$packages gcc $cross qemu-user-static"
fi

if [ -n "$packages" ]; then
  echo "== apt-get install$packages"
  apt-get update && apt-get install -y --no-install-recommends $packages
else
  echo "== setup-debian: every system package is present"
fi
