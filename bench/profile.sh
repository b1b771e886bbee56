#!/usr/bin/env bash
# BENCHMARK TOOL (not product code): CPU-profile the GWLB agent under load.
# Runs dist/agent/gwlb-agent.js under `node --cpu-prof` while the C load generator drives it
# (closed loop by default), then prints the top self-time functions of the .cpuprofile.
#
#   bench/profile.sh [--size 200|1400] [--seconds 10] [--rate PPS | --window 64] [--top 30]
#                    [--target agent|node-reflector] [--no-build] [--node-arg ARG]...
#   bench/profile.sh --summarize bench/out/prof/FILE.cpuprofile [--top 30]
#
# Output: bench/out/prof/*.cpuprofile (open in Chrome DevTools or speedscope) + a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node -r ts-node/register/transpile-only bench/profile.ts "$@"
