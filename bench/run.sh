#!/usr/bin/env bash
# Runs the fan-out and query benchmark (docs/benchmarks.md) on a fresh Debian 12 machine with the .NET SDK:
# installs RabbitMQ (its Web-STOMP plugin ships in the package), Node (the MongoDB stand-in the query figures run
# against, unless --mongo-uri names a real mongod) and
# librsvg2-bin (to turn the chart into a PNG), raises the open-file limit (19 000 sockets in the bridge), builds in Release and runs
# Bridge.Bench with the arguments given (none: the full run; --quick: a few seconds; --help: the options).
# Results go to bench-results/ (results.md, results.json, chart.svg, chart.png, logs/).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)
{ command -v node && command -v npm; } >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Each process (the bench's clients, the bridge, RabbitMQ) holds one socket per subscriber.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 19600 ]; then
  echo "warning: the open-file limit is $(ulimit -n); the bridge needs about 19 600 for 19 000 connections (raise the hard limit, or pass --many-connections N)" >&2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
[ -d tests/mongo-standin/node_modules ] || (cd tests/mongo-standin && npm ci --no-audit --no-fund --silent)
dotnet build Bridge.sln -c Release -nologo -v quiet
out=bench-results
dotnet bench/Bridge.Bench/bin/Release/net10.0/Bridge.Bench.dll --out "$out" "$@"
if [ -f "$out/chart.svg" ]; then
  rsvg-convert -o "$out/chart.png" "$out/chart.svg"
  echo "chart: $out/chart.png"
fi
