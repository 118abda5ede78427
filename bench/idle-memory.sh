#!/usr/bin/env bash
# What one idle watching connection holds (docs/benchmarks.md, round 3 §6 and §7): starts the bridge in BRIDGE_DIR with
# the in-process broker, holds 10 connections and then N more (each with an `mq` watch, Bridge.Bench's
# hold-connections), reads the bridge's resident set and takes a heap dump after each step, and prints the RSS growth
# per connection and the live bytes per connection by type (the difference of the two dumps).
# Usage: bash bench/idle-memory.sh BRIDGE_DIR [N=3000] [PORT=5650] [OUT=/tmp/idle-memory]
# Needs dotnet-gcdump: dotnet tool install --tool-path /tmp/tools dotnet-gcdump (or GCDUMP=path/to/dotnet-gcdump).
# SETTLE=seconds waits that long after the N have connected (default 10); extra environment (DOTNET_GC...) is passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: bench/idle-memory.sh BRIDGE_DIR [N] [PORT] [OUT]}
n=${2:-3000}; port=${3:-5650}; out=${4:-/tmp/idle-memory}
gcdump=${GCDUMP:-/tmp/tools/dotnet-gcdump}
bench=bench/Bridge.Bench/bin/Release/net10.0/Bridge.Bench.dll
[ -x "$gcdump" ] || { echo "dotnet-gcdump not found at $gcdump" >&2; exit 1; }
[ -f "$bench" ] || { echo "build first: $bench is missing" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
dotnet "$dir/Bridge.dll" --urls "http://127.0.0.1:$port" --Bridge:Channels:AllowAnonymous=true --Bridge:Demo:Enabled=false >"$out/bridge.log" 2>&1 &
bridge=$!; pids+=("$bridge")
for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.3; done

# One client process holding $2 connections: told "go", it says "connected" once every watch is live.
hold() {
  mkfifo "$out/$1.in"
  dotnet "$bench" hold-connections --endpoint "ws://127.0.0.1:$port/mq" --count "$2" --messages 1 \
    --out "$out/$1.latency" --collect-seconds 5 <"$out/$1.in" >"$out/$1.out" 2>&1 &
  pids+=("$!")
  exec {fd}>"$out/$1.in"
  until grep -q started "$out/$1.out"; do sleep 0.2; done
  echo go >&"$fd"
  until grep -q connected "$out/$1.out"; do sleep 0.5; done
}
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$bridge/status"; }
dump() { "$gcdump" collect -p "$bridge" -o "$out/$1.gcdump" >/dev/null 2>&1; "$gcdump" report "$out/$1.gcdump" >"$out/$1.txt"; }

hold warmup 10
sleep 5
before=$(rss_kb); dump before
hold many "$n"
sleep "${SETTLE:-10}"
after=$(rss_kb); dump after

echo "load $(cut -d' ' -f1-3 /proc/loadavg); RSS $before -> $after KB: $(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "%.2f", (a - b) / n }') KB per connection"
# The report's rows are "<bytes of one object> <count> <type>"; the difference per type over N, largest first.
awk -v n="$n" '
  FNR == 1 { side = (FILENAME ~ /before/) ? -1 : 1 }
  match($0, /^ *[0-9,]+ +[0-9,]+ +/) {
    split(substr($0, 1, RLENGTH), f, " "); gsub(",", "", f[1]); gsub(",", "", f[2])
    type = substr($0, RLENGTH + 1); bytes[type] += side * f[1] * f[2]; count[type] += side * f[2]
  }
  END {
    for (t in bytes) { total += bytes[t]; if (bytes[t] != 0) printf "%9.1f B %7.2f per connection  %s\n", bytes[t] / n, count[t] / n, t }
    printf "%9.1f B live objects per connection in all\n", total / n > "/dev/stderr"
  }' "$out/before.txt" "$out/after.txt" | sort -rn | head -"${TOP:-40}"
