#!/usr/bin/env bash
# One-command demo of GWLB inspection on one Linux machine (root; uses network namespaces):
#
#   client ──> [ gwlb-sim ] ──GENEVE──> gwlb-agent 1 / gwlb-agent 2 ──> [ gwlb-sim ] ──> server
#
# Builds the sim, the agent and the tun addon, creates the namespaces (scripts/demo-lab.sh),
# fetches pages through two agents, shows a policy drop, a 1 MB transfer and a failover, and
# removes every namespace and process it made, also on Ctrl-C or failure.
#
#   sudo scripts/demo.sh            (npm run demo)
#   DEMO_KEEP_LOGS=1 scripts/demo.sh   keep the process logs in /tmp
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="gwlbdemo-$$"
LOGS="$(mktemp -d "/tmp/$PREFIX.XXXX")"
NODE="$(command -v node)"
CLIENT=10.77.1.2
SERVER=10.77.2.2
SIM=10.77.3.1
AGENTS=(10.77.3.11 10.77.3.12)
START=$(date +%s%N)
LAB_UP=0

if [ -t 1 ]; then B=$'\e[1m'; G=$'\e[32m'; R=$'\e[31m'; Y=$'\e[33m'; D=$'\e[2m'; N=$'\e[0m'; else B= G= R= Y= D= N=; fi
elapsed() { printf '%5.1fs' "$(( ($(date +%s%N) - START) / 1000000 ))e-3"; }
step() { printf '%s %s▶ %s%s\n' "$(elapsed)" "$B" "$*" "$N"; }
ok() { printf '%s   %s✓%s %s\n' "$(elapsed)" "$G" "$N" "$*"; }
bad() { printf '%s   %s✗%s %s\n' "$(elapsed)" "$R" "$N" "$*"; }
info() { printf '%s     %s%s%s\n' "$(elapsed)" "$D" "$*" "$N"; }
die() { end_progress; bad "$*"; exit 1; }
# Live status line: rewritten in place on a terminal, printed when it changes otherwise.
LAST_PROGRESS=
progress() {
  if [ -t 1 ]; then printf '\r%s     %s%-60s%s' "$(elapsed)" "$D" "$*" "$N"
  elif [ "$*" != "$LAST_PROGRESS" ]; then info "$*"; fi
  LAST_PROGRESS="$*"
}
end_progress() { if [ -t 1 ] && [ -n "$LAST_PROGRESS" ]; then echo; fi; LAST_PROGRESS=; }

in_ns() { local ns="$1"; shift; ip netns exec "$PREFIX-$ns" "$@"; }
sim_status() { in_ns sim curl -sf --max-time 3 http://127.0.0.1:9090/status; }
# Prints fields of the sim's /status JSON with a small JavaScript expression over `s`.
sim_query() { sim_status | "$NODE" -e "let t='';process.stdin.on('data',d=>t+=d).on('end',()=>{const s=JSON.parse(t);console.log($1)})"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e # clean up as much as possible, even when stdout is gone
  echo
  step "Cleaning up"
  if [ "$LAB_UP" = 1 ] || ip netns list | grep -q "^$PREFIX-"; then
    if [ "$rc" != 0 ]; then
      for f in "$LOGS"/*.log; do [ -f "$f" ] && { info "--- last lines of $(basename "$f")"; tail -n 5 "$f" | sed 's/^/       /'; }; done
    fi
    bash "$ROOT/scripts/demo-lab.sh" down "$PREFIX" || true
  fi
  if [ -n "${DEMO_KEEP_LOGS:-}" ]; then info "logs kept in $LOGS"; else rm -rf "$LOGS"; fi
  local left_ns left_ps
  left_ns="$(ip netns list | awk '{print $1}' | grep "^$PREFIX-" || true)"
  left_ps="$(pgrep -f "$LOGS|$PREFIX" || true)"
  if [ -z "$left_ns" ] && [ -z "$left_ps" ]; then
    ok "no namespaces or processes left behind (ip netns list, ps)"
  else
    bad "left behind: namespaces [${left_ns}] processes [${left_ps}]"
    rc=1
  fi
  [ "$rc" = 0 ] && printf '\n%sDemo finished.%s\n' "$G$B" "$N" || printf '\n%sDemo failed (exit %s).%s\n' "$R$B" "$rc" "$N"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; bad "interrupted"; exit 130' INT TERM
trap 'exit 129' HUP
# A closed stdout (e.g. `| head`) must not kill the script before it cleans up: ignore SIGPIPE, so
# writes fail instead and `set -e` ends the script through the EXIT trap.
trap '' PIPE

[ "$(id -u)" = 0 ] || { echo "demo: must run as root: it creates network namespaces (try: sudo npm run demo)" >&2; trap - EXIT; exit 1; }
for tool in ip curl "$NODE"; do command -v "$tool" >/dev/null || { echo "demo: $tool is required" >&2; trap - EXIT; exit 1; }; done

step "Building gwlb-sim, gwlb-agent and the tun addon"
(cd "$ROOT" && "$NODE" scripts/bundle-sim.js && "$NODE" scripts/bundle-agent.js && "$NODE" scripts/build-tun.js --if-missing --quiet) >"$LOGS/build.log" 2>&1 \
  || { cat "$LOGS/build.log"; die "build failed"; }
ok "dist/sim/gwlb-sim.js, dist/agent/gwlb-agent.js, native/tun/build/Release/tun.node"

step "Creating namespaces $PREFIX-{client,sim,server,agent1,agent2}"
LAB_UP=1
bash "$ROOT/scripts/demo-lab.sh" up "$PREFIX" 2
ok "client $CLIENT → sim (router, tun gwlbsim0) → server $SERVER; agents ${AGENTS[*]} behind the sim"

step "Starting the server, two agents and the sim"
in_ns server "$NODE" "$ROOT/scripts/demo-server.cjs" --http 8000,8081 --udp 9000 >"$LOGS/server.log" 2>&1 &
cat >"$LOGS/policy.json" <<'EOF'
{"defaultAction": "allow",
 "rules": [{"name": "no-port-8081", "action": "drop", "protocol": "tcp", "destinationPorts": [8081]}]}
EOF
for i in 1 2; do
  in_ns "agent$i" "$NODE" "$ROOT/dist/agent/gwlb-agent.js" --port 6081 --health-port 8080 --policy "$LOGS/policy.json" >"$LOGS/agent$i.log" 2>&1 &
done
in_ns sim "$NODE" "$ROOT/dist/sim/gwlb-sim.js" --local "$SIM" --target "${AGENTS[0]}" --target "${AGENTS[1]}" \
  --health-interval 1 --healthy-threshold 2 --unhealthy-threshold 2 --strict >"$LOGS/sim.log" 2>&1 &
info "policy on both agents: drop TCP to port 8081"
info "sim: 5-tuple stickiness, health check GET /healthz every 1 s, thresholds 2/2, --strict"

step "Waiting for the sim's health checks"
for _ in $(seq 1 60); do
  health="$(sim_query "s.targets.map(t=>t.address+'='+t.health).join(' ')" 2>/dev/null || true)"
  progress "${health:-starting...}"
  [[ "$health" == *"${AGENTS[0]}=healthy"*"${AGENTS[1]}=healthy"* ]] && break
  sleep 0.5
done
end_progress
[[ "$health" == *"${AGENTS[0]}=healthy"*"${AGENTS[1]}=healthy"* ]] || die "agents did not turn healthy: $health"
ok "both agents healthy"

step "Fetching http://$SERVER:8000/hello from the client, 6 connections"
for port in 45001 45002 45003 45004 45005 45006; do
  body="$(in_ns client curl -s --max-time 5 --local-port "$port" "http://$SERVER:8000/hello")" || die "fetch from port $port failed"
  agent="$(sim_query "s.flows.find(f=>f.clientPort===$port).target")"
  ok "client port $port → agent ${agent%:*}: \"${body%$'\n'}\""
done
per_agent="$(sim_query "s.targets.map(t=>t.address+': '+t.flowsAssigned+' flows, '+t.packetsReturned+' packets').join(' | ')")"
info "$per_agent"

step "Policy drop: fetching http://$SERVER:8081/hello (the agents drop TCP to 8081)"
if in_ns client curl -s --max-time 3 "http://$SERVER:8081/hello" >/dev/null; then
  die "the fetch to port 8081 succeeded, but the policy should drop it"
fi
ok "no answer within 3 s: dropped by the agent"
drops="$(cat "$LOGS"/agent*.log | grep -c '"policy drop"' || true)"
info "agent logs: $drops policy-drop event(s), e.g.:"
grep -h '"policy drop"' "$LOGS"/agent*.log | head -n 1 | cut -c1-150 | sed 's/^/       /'

step "Transferring 1 MB and comparing sha256"
headers="$(in_ns client curl -s --max-time 30 -D - -o "$LOGS/download.bin" "http://$SERVER:8000/bytes/1048576")" || die "1 MB transfer failed"
want="$(grep -i x-sha256 <<<"$headers" | awk '{print $2}' | tr -d '\r')"
got="$(sha256sum "$LOGS/download.bin" | awk '{print $1}')"
[ "$want" = "$got" ] || die "sha256 mismatch: server $want, received $got"
ok "1048576 bytes, sha256 ${got:0:16}… matches"

step "Failover: stopping agent 2"
kill -TERM $(ip netns pids "$PREFIX-agent2")
t0=$(date +%s%N)
for _ in $(seq 1 40); do
  h2="$(sim_query "s.targets[1].health" 2>/dev/null || true)"
  progress "agent 2: $h2"
  [ "$h2" = unhealthy ] && break
  sleep 0.25
done
end_progress
[ "$h2" = unhealthy ] || die "agent 2 was not marked unhealthy"
ok "sim marked agent 2 unhealthy after $(( ($(date +%s%N) - t0) / 1000000 )) ms (2 failed checks, 1 s apart)"
for port in 45101 45102 45103 45104; do
  in_ns client curl -s --max-time 5 --local-port "$port" "http://$SERVER:8000/hello" >/dev/null || die "fetch after failover failed"
  agent="$(sim_query "s.flows.find(f=>f.clientPort===$port).target")"
  ok "new connection from port $port → agent ${agent%:*}"
done

step "What the sim saw"
sim_query "'packets from tun: '+s.counters.tunPackets+', sent in GENEVE: '+s.counters.encapSent+', returned: '+s.counters.returned+', delivered: '+s.counters.delivered" | sed 's/^/       /'
sim_query "'flows: '+s.counters.flowsCreated+', violations (header, inner bytes, ports, source): '+Object.values(s.violations).reduce((a,b)=>a+b,0)" | sed 's/^/       /'
violations="$(sim_query "Object.values(s.violations).reduce((a,b)=>a+b,0)")"
[ "$violations" = 0 ] || die "the sim counted $violations violations"
ok "every returned packet was byte-for-byte what the sim sent, with both UDP ports kept"
