#!/usr/bin/env bash
# Builds or removes the network-namespace lab used by the gwlb-sim demo and the e2e tests.
#
#   demo-lab.sh up PREFIX AGENTS      create PREFIX-client, PREFIX-sim, PREFIX-server, PREFIX-agent1..N
#   demo-lab.sh down PREFIX           kill every process inside those namespaces, delete them
#
#   client 10.77.1.2 --veth-- 10.77.1.1 [sim] 10.77.2.1 --veth-- 10.77.2.2 server
#          2001:2:0:1::2           2001:2:0:1::1   2001:2:0:2::1       2001:2:0:2::2
#                                       [sim] br-tg 10.77.3.1 --veth-- 10.77.3.1N agentN (MTU 9000)
#
# Client and server also talk IPv6 (2001:2::/48, the IPv6 benchmarking range); GENEVE between
# the sim and the agents is IPv4 only, like GWLB's.
# In the sim namespace, packets forwarded between client and server are routed into the tun
# device gwlbsim0 by input interface (ip rule iif to-client / iif to-server -> table 100 ->
# default dev gwlbsim0). gwlb-sim reads them, sends them in GENEVE to an agent on br-tg and
# writes what comes back into gwlbsim0; those packets arrive with iif gwlbsim0, so the main
# table forwards them on to the client or the server. No fwmark is needed.
# LAB_NET (default 10.77) changes the first two octets. Needs root (ip netns).
set -euo pipefail

NET="${LAB_NET:-10.77}"
NET6=2001:2:0
TABLE=100
TUN=gwlbsim0

usage() {
  echo "usage: $0 up PREFIX AGENTS | down PREFIX" >&2
  exit 2
}

valid_prefix() {
  [[ "$1" =~ ^[A-Za-z0-9_.-]{1,40}$ ]] || { echo "demo-lab: PREFIX \"$1\" must be 1-40 of A-Z a-z 0-9 _ . -" >&2; exit 2; }
}

lab_namespaces() {
  ip netns list | awk '{print $1}' | grep -E "^$1-(client|sim|server|agent[0-9]+)$" || true
}

down() {
  local prefix="$1" ns pids
  for ns in $(lab_namespaces "$prefix"); do
    pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    [ -n "$pids" ] && kill -TERM $pids 2>/dev/null || true
  done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pids=""
    for ns in $(lab_namespaces "$prefix"); do pids="$pids $(ip netns pids "$ns" 2>/dev/null || true)"; done
    [ -z "${pids// /}" ] && break
    sleep 0.2
  done
  for ns in $(lab_namespaces "$prefix"); do
    pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  local left
  left="$(lab_namespaces "$prefix")"
  if [ -n "$left" ]; then
    echo "demo-lab: could not delete namespaces: $left" >&2
    return 1
  fi
}

up() {
  local prefix="$1" agents="$2" i
  [[ "$agents" =~ ^[1-9]$ ]] || { echo "demo-lab: AGENTS \"$agents\" must be 1-9" >&2; exit 2; }
  local cli="$prefix-client" sim="$prefix-sim" srv="$prefix-server"
  if [ -n "$(lab_namespaces "$prefix")" ]; then
    echo "demo-lab: namespaces with prefix $prefix already exist: $(lab_namespaces "$prefix" | xargs)" >&2
    exit 1
  fi
  ip netns add "$cli"
  ip netns add "$sim"
  ip netns add "$srv"
  for ((i = 1; i <= agents; i++)); do ip netns add "$prefix-agent$i"; done
  for ns in $(lab_namespaces "$prefix"); do
    ip -n "$ns" link set lo up
    # No router advertisements or autoconfiguration noise: addresses are static.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
  done
  for ((i = 1; i <= agents; i++)); do
    ip netns exec "$prefix-agent$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done

  # Router (sim) namespace: forwarding, no reverse-path filter (packets re-enter from the tun).
  ip netns exec "$sim" sysctl -qw net.ipv4.ip_forward=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 \
    net.ipv6.conf.all.forwarding=1

  ip link add eth0 netns "$cli" type veth peer name to-client netns "$sim"
  ip link add eth0 netns "$srv" type veth peer name to-server netns "$sim"
  ip -n "$cli" addr add "$NET.1.2/24" dev eth0
  ip -n "$cli" link set eth0 up
  ip -n "$cli" route add default via "$NET.1.1"
  ip -n "$cli" addr add "$NET6:1::2/64" dev eth0 nodad
  ip -n "$cli" -6 route add default via "$NET6:1::1"
  ip -n "$srv" addr add "$NET.2.2/24" dev eth0
  ip -n "$srv" link set eth0 up
  ip -n "$srv" route add default via "$NET.2.1"
  ip -n "$srv" addr add "$NET6:2::2/64" dev eth0 nodad
  ip -n "$srv" -6 route add default via "$NET6:2::1"
  ip -n "$sim" addr add "$NET.1.1/24" dev to-client
  ip -n "$sim" addr add "$NET.2.1/24" dev to-server
  ip -n "$sim" addr add "$NET6:1::1/64" dev to-client nodad
  ip -n "$sim" addr add "$NET6:2::1/64" dev to-server nodad
  ip -n "$sim" link set to-client up
  ip -n "$sim" link set to-server up

  # Appliance side: a bridge in the sim namespace, one veth per agent namespace.
  ip -n "$sim" link add br-tg type bridge
  ip -n "$sim" link set br-tg mtu 9000
  ip -n "$sim" addr add "$NET.3.1/24" dev br-tg
  ip -n "$sim" link set br-tg up
  for ((i = 1; i <= agents; i++)); do
    local ag="$prefix-agent$i"
    ip link add eth0 netns "$ag" mtu 9000 type veth peer name "agent$i" netns "$sim" mtu 9000
    ip -n "$sim" link set "agent$i" master br-tg up
    ip -n "$ag" addr add "$NET.3.$((10 + i))/24" dev eth0
    ip -n "$ag" link set eth0 up
  done

  # Capture: forwarded client/server traffic goes to the tun; what gwlb-sim writes back is forwarded.
  ip -n "$sim" tuntap add dev "$TUN" mode tun
  ip -n "$sim" link set "$TUN" mtu 1500 up
  ip netns exec "$sim" sysctl -qw "net.ipv4.conf.$TUN.rp_filter=0" net.ipv4.conf.to-client.rp_filter=0 net.ipv4.conf.to-server.rp_filter=0
  ip -n "$sim" route add default dev "$TUN" table "$TABLE"
  ip -n "$sim" rule add iif to-client lookup "$TABLE" pref 1000
  ip -n "$sim" rule add iif to-server lookup "$TABLE" pref 1001
  ip -n "$sim" -6 route add default dev "$TUN" table "$TABLE"
  # IPv6: global unicast only, so link-local and multicast (neighbour discovery, MLD) stay local.
  ip -n "$sim" -6 rule add iif to-client to 2000::/3 lookup "$TABLE" pref 1000
  ip -n "$sim" -6 rule add iif to-server to 2000::/3 lookup "$TABLE" pref 1001
}

[ $# -ge 2 ] || usage
valid_prefix "$2"
case "$1" in
  up)
    [ $# -eq 3 ] || usage
    if ! up "$2" "$3"; then
      echo "demo-lab: setup failed, removing $2-*" >&2
      down "$2" || true
      exit 1
    fi
    ;;
  down) down "$2" ;;
  *) usage ;;
esac
