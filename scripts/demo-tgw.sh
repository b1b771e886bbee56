#!/usr/bin/env bash
# Demo of centralized inspection through a Transit Gateway on one Linux machine (root):
#
#   spoke A ─┐                                            ┌─ spoke B
#            ├─> [ hub: TGW + gwlb-sim ] ─GENEVE─> agents ┤
#   internet ┘      (the only path between them)          └─ (back through the hub)
#
# Builds the sim and the agent, creates the namespaces (scripts/tgw-lab.sh), shows east-west and
# egress traffic crossing an agent both ways, a payload rule cutting one flow while another
# completes, and that nothing passes with the stand-in stopped; removes everything it made.
#
#   sudo scripts/demo-tgw.sh        (npm run demo:tgw)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="gwtgwdemo-$$"
LOGS="$(mktemp -d "/tmp/$PREFIX.XXXX")"
NODE="$(command -v node)"
SPOKE_A=10.78.1.2
SPOKE_B=10.78.2.2
INTERNET=198.51.100.10
AGENTS=(10.78.3.11 10.78.3.12)
MARKER=GWLB-E2E-FORBIDDEN

if [ -t 1 ]; then B=$'\e[1m'; G=$'\e[32m'; R=$'\e[31m'; D=$'\e[2m'; N=$'\e[0m'; else B= G= R= D= N=; fi
step() { printf '%s▶ %s%s\n' "$B" "$*" "$N"; }
ok() { printf '  %s✓%s %s\n' "$G" "$N" "$*"; }
bad() { printf '  %s✗%s %s\n' "$R" "$N" "$*"; }
info() { printf '    %s%s%s\n' "$D" "$*" "$N"; }
die() { bad "$*"; exit 1; }
in_ns() { local ns="$1"; shift; ip netns exec "$PREFIX-$ns" "$@"; }
sim_query() { in_ns hub curl -sf --max-time 3 http://127.0.0.1:9090/status | "$NODE" -e "let t='';process.stdin.on('data',d=>t+=d).on('end',()=>{const s=JSON.parse(t);console.log($1)})"; }
agent_of() { sim_query "(s.flows.filter(f=>f.flow.includes('$1')&&f.flow.includes('$2')&&f.serverPort===8000).pop()||{target:'none'}).target"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e
  step "Cleaning up"
  bash "$ROOT/scripts/tgw-lab.sh" down "$PREFIX"
  rm -rf "$LOGS"
  if ip netns list | grep -q "^$PREFIX-"; then bad "namespaces left behind"; rc=1; else ok "no namespaces left behind"; fi
  [ "$rc" = 0 ] && printf '\n%sDemo finished.%s\n' "$G$B" "$N" || printf '\n%sDemo failed (exit %s).%s\n' "$R$B" "$rc" "$N"
  exit "$rc"
}
trap cleanup EXIT
trap 'bad "interrupted"; exit 130' INT TERM
trap '' PIPE

[ "$(id -u)" = 0 ] || { echo "demo-tgw: must run as root: it creates network namespaces (try: sudo npm run demo:tgw)" >&2; trap - EXIT; exit 1; }

step "Building gwlb-sim, gwlb-agent and the tun addon"
(cd "$ROOT" && "$NODE" scripts/bundle-sim.js && "$NODE" scripts/bundle-agent.js && "$NODE" scripts/build-tun.js --if-missing --quiet) >"$LOGS/build.log" 2>&1 \
  || { cat "$LOGS/build.log"; die "build failed"; }

step "Creating namespaces $PREFIX-{spokea,spokeb,inet,hub,agent1,agent2}"
bash "$ROOT/scripts/tgw-lab.sh" up "$PREFIX" 2
ok "spoke A $SPOKE_A, spoke B $SPOKE_B, internet $INTERNET; the hub routes everything from them into the tun only"

step "Starting servers (spoke B, internet), two agents and the sim"
for ns in spokeb inet; do in_ns "$ns" "$NODE" "$ROOT/scripts/demo-server.cjs" --listen 0.0.0.0 --http 8000 --udp 9000 >"$LOGS/server-$ns.log" 2>&1 & done
printf '{"defaultAction":"allow","rules":[{"name":"forbidden-marker","action":"drop","payloadContains":"%s"}]}\n' "$MARKER" >"$LOGS/policy.json"
for i in 1 2; do
  in_ns "agent$i" "$NODE" "$ROOT/dist/agent/gwlb-agent.js" --port 6081 --health-port 8080 --policy "$LOGS/policy.json" >"$LOGS/agent$i.log" 2>&1 &
done
in_ns hub "$NODE" "$ROOT/dist/sim/gwlb-sim.js" --local 10.78.3.1 --target "${AGENTS[0]}" --target "${AGENTS[1]}" \
  --health-interval 0.5 --healthy-threshold 2 --unhealthy-threshold 2 >"$LOGS/sim.log" 2>&1 &
info "policy on both agents: drop any flow whose payload contains $MARKER"
for _ in $(seq 1 60); do
  health="$(sim_query "s.targets.map(t=>t.health).join(' ')" 2>/dev/null || true)"
  [ "$health" = "healthy healthy" ] && break
  sleep 0.5
done
[ "$health" = "healthy healthy" ] || die "agents did not turn healthy: $health"
ok "both agents healthy"

step "East-west: spoke A -> spoke B"
body="$(in_ns spokea curl -s --max-time 5 "http://$SPOKE_B:8000/hello")" || die "east-west fetch failed"
ok "\"${body%$'\n'}\" through agent $(agent_of "$SPOKE_A" "$SPOKE_B")"

step "Egress: each spoke -> the internet"
for pair in "spokea $SPOKE_A" "spokeb $SPOKE_B"; do
  set -- $pair
  body="$(in_ns "$1" curl -s --max-time 5 "http://$INTERNET:8000/hello")" || die "egress fetch from $1 failed"
  ok "$1: \"${body%$'\n'}\" through agent $(agent_of "$2" "$INTERNET")"
done

step "Payload rule: an egress download carrying $MARKER, while spoke A downloads 300 kB from spoke B"
in_ns spokea curl -s --max-time 4 -o "$LOGS/cut.bin" "http://$INTERNET:8000/cut?before=20000&after=20000" && cut_rc=0 || cut_rc=$?
headers="$(in_ns spokea curl -s --max-time 10 -D - -o "$LOGS/ew.bin" "http://$SPOKE_B:8000/bytes/300000")" || die "east-west transfer failed"
want="$(grep -i x-sha256 <<<"$headers" | awk '{print $2}' | tr -d '\r')"
[ "$want" = "$(sha256sum "$LOGS/ew.bin" | awk '{print $1}')" ] || die "east-west sha256 mismatch"
ok "east-west 300000 bytes, sha256 ${want:0:16}… matches"
[ "$cut_rc" = 28 ] || die "the marked download was not cut (curl exit $cut_rc)"
ok "marked egress download stalled after $(stat -c %s "$LOGS/cut.bin") bytes (curl exit 28): the agent dropped the rest of that flow"

step "Fail closed: stopping the stand-in"
sim_pids="$(ip netns pids "$PREFIX-hub")" # only gwlb-sim runs in the hub namespace
kill -TERM $sim_pids
for _ in $(seq 1 20); do [ -z "$(ip netns pids "$PREFIX-hub")" ] && break; sleep 0.2; done
[ -z "$(ip netns pids "$PREFIX-hub")" ] || die "gwlb-sim did not stop"
ok "gwlb-sim stopped (pid $sim_pids)"
if in_ns spokea curl -s --max-time 2 "http://$SPOKE_B:8000/hello" >/dev/null; then die "east-west passed without inspection"; fi
if in_ns spokeb curl -s --max-time 2 "http://$INTERNET:8000/hello" >/dev/null; then die "egress passed without inspection"; fi
ok "neither east-west nor egress passes: there is no route around inspection"
