#!/usr/bin/env bash
# Builds or removes the network-namespace lab of the centralized (Transit Gateway) pattern.
#
#   tgw-lab.sh up PREFIX AGENTS      create PREFIX-spokea, -spokeb, -inet, -hub, -agent1..N
#   tgw-lab.sh down PREFIX           kill every process inside those namespaces, delete them
#
#   spokea 10.78.1.2 --veth-- 10.78.1.1 [hub] 10.78.4.1 --veth-- 10.78.4.2 inet (198.51.100.10 on lo)
#   spokeb 10.78.2.2 --veth-- 10.78.2.1 [hub] br-tg 10.78.3.1 --veth-- 10.78.3.1N agentN (MTU 9000)
#
# The hub namespace plays the Transit Gateway with its spokes' route table and the inspection
# VPC: whatever arrives from a spoke or from the internet (ip rule iif to-spokea / to-spokeb /
# to-inet -> table 100 -> default dev gwlbsim0) goes to the tun device, where gwlb-sim (the
# GWLB endpoint and load balancer) sends it in GENEVE to an agent; what comes back (iif
# gwlbsim0) is routed by the main table: to the other spoke (east-west) or to the internet
# (egress). There is no route around the tun: with gwlb-sim stopped nothing passes. The lab has
# no netfilter, so there is no NAT: the internet namespace routes 10.78.0.0/16 back to the hub.
# LAB_NET (default 10.78) changes the first two octets. Needs root (ip netns).
set -euo pipefail

NET="${LAB_NET:-10.78}"
INTERNET_HOST=198.51.100.10
TABLE=100
TUN=gwlbsim0

usage() {
  echo "usage: $0 up PREFIX AGENTS | down PREFIX" >&2
  exit 2
}

valid_prefix() {
  [[ "$1" =~ ^[A-Za-z0-9_.-]{1,40}$ ]] || { echo "tgw-lab: PREFIX \"$1\" must be 1-40 of A-Z a-z 0-9 _ . -" >&2; exit 2; }
}

lab_namespaces() {
  ip netns list | awk '{print $1}' | grep -E "^$1-(spokea|spokeb|inet|hub|agent[0-9]+)$" || true
}

down() {
  local prefix="$1" ns pids left
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
  left="$(lab_namespaces "$prefix")"
  if [ -n "$left" ]; then
    echo "tgw-lab: could not delete namespaces: $left" >&2
    return 1
  fi
}

# leg NS IFNAME-IN-HUB OCTET: a veth between namespace NS (NET.OCTET.2) and the hub (NET.OCTET.1).
leg() {
  local ns="$1" hub_if="$2" octet="$3"
  ip link add eth0 netns "$ns" type veth peer name "$hub_if" netns "$HUB"
  ip -n "$ns" addr add "$NET.$octet.2/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$HUB" addr add "$NET.$octet.1/24" dev "$hub_if"
  ip -n "$HUB" link set "$hub_if" up
  ip netns exec "$HUB" sysctl -qw "net.ipv4.conf.$hub_if.rp_filter=0"
}

up() {
  local prefix="$1" agents="$2" i ns
  [[ "$agents" =~ ^[1-9]$ ]] || { echo "tgw-lab: AGENTS \"$agents\" must be 1-9" >&2; exit 2; }
  if [ -n "$(lab_namespaces "$prefix")" ]; then
    echo "tgw-lab: namespaces with prefix $prefix already exist: $(lab_namespaces "$prefix" | xargs)" >&2
    exit 1
  fi
  HUB="$prefix-hub"
  for ns in spokea spokeb inet hub; do ip netns add "$prefix-$ns"; done
  for ((i = 1; i <= agents; i++)); do ip netns add "$prefix-agent$i"; done
  for ns in $(lab_namespaces "$prefix"); do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  ip netns exec "$HUB" sysctl -qw net.ipv4.ip_forward=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0

  leg "$prefix-spokea" to-spokea 1
  leg "$prefix-spokeb" to-spokeb 2
  leg "$prefix-inet" to-inet 4
  # Spokes: 0.0.0.0/0 -> the Transit Gateway (the hub).
  ip -n "$prefix-spokea" route add default via "$NET.1.1"
  ip -n "$prefix-spokeb" route add default via "$NET.2.1"
  # The internet: a public address, and the spokes' addresses back through the hub.
  ip -n "$prefix-inet" addr add "$INTERNET_HOST/32" dev lo
  ip -n "$prefix-inet" route add "$NET.0.0/16" via "$NET.4.1"
  ip -n "$HUB" route add "$INTERNET_HOST/32" via "$NET.4.2"

  # Appliances: a bridge in the hub, one veth per agent namespace.
  ip -n "$HUB" link add br-tg type bridge
  ip -n "$HUB" link set br-tg mtu 9000
  ip -n "$HUB" addr add "$NET.3.1/24" dev br-tg
  ip -n "$HUB" link set br-tg up
  for ((i = 1; i <= agents; i++)); do
    ip link add eth0 netns "$prefix-agent$i" mtu 9000 type veth peer name "agent$i" netns "$HUB" mtu 9000
    ip -n "$HUB" link set "agent$i" master br-tg up
    ip -n "$prefix-agent$i" addr add "$NET.3.$((10 + i))/24" dev eth0
    ip -n "$prefix-agent$i" link set eth0 up
  done

  # Inspection: everything from a spoke or the internet goes to the tun; nothing else routes it.
  ip -n "$HUB" tuntap add dev "$TUN" mode tun
  ip -n "$HUB" link set "$TUN" mtu 1500 up
  ip netns exec "$HUB" sysctl -qw "net.ipv4.conf.$TUN.rp_filter=0"
  ip -n "$HUB" route add default dev "$TUN" table "$TABLE"
  ip -n "$HUB" rule add iif to-spokea lookup "$TABLE" pref 1000
  ip -n "$HUB" rule add iif to-spokeb lookup "$TABLE" pref 1001
  ip -n "$HUB" rule add iif to-inet lookup "$TABLE" pref 1002
}

[ $# -ge 2 ] || usage
valid_prefix "$2"
case "$1" in
  up)
    [ $# -eq 3 ] || usage
    if ! up "$2" "$3"; then
      echo "tgw-lab: setup failed, removing $2-*" >&2
      down "$2" || true
      exit 1
    fi
    ;;
  down) down "$2" ;;
  *) usage ;;
esac
