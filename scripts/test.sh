#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian 12 machine with the .NET SDK: installs what the tests need
# (Debian packages and pinned npm packages), checks build and formatting, runs every test project, and ends with one line
# "N passed, N failed, N skipped". The fixtures start their own servers; nothing is skipped for want of one.
set -uo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# What the tests need from Debian: RabbitMQ (private nodes per run), Chromium for the dashboard tests (driven by
# Playwright; never `playwright install`), and Node for the MongoDB stand-in, the browser-client test and the
# ilp-plugin-bells test. (MongoDB itself is reached through the managed MongoDB.Driver package: nothing native.)
missing=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ command -v node && command -v npm; } >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian package starts a system-wide node we do not use: the fixtures run private nodes on free ports.
if pgrep -f "beam.*rabbit@" >/dev/null 2>&1; then
  as_root service rabbitmq-server stop >/dev/null 2>&1 || true
fi

# Node test helpers, pinned by their package-lock.json: the MongoDB stand-in (unless BRIDGE_TEST_MONGO_URI
# names a real mongod), the browser client's test (`ws`), the ledger client (`ilp-plugin-bells`), and the
# webhook receiver that verifies deliveries with `standardwebhooks`.
for dir in tests/mongo-standin tests/browser-client tests/ledger-client tests/webhook-receiver; do
  if [ ! -d "$dir/node_modules" ]; then
    echo "==> npm ci ($dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
  fi
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "==> build (warnings are errors)"
dotnet build Bridge.sln -c Release -nologo -v quiet || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

echo "==> dotnet format --verify-no-changes"
dotnet format Bridge.sln --verify-no-changes --no-restore || { echo "format: run 'dotnet format Bridge.sln'"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

echo "==> tests"
log=$(mktemp)
dotnet test Bridge.sln -c Release --no-build -nologo \
  --logger "console;verbosity=normal" \
  --blame-hang-timeout 5m 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Each test assembly ends with a block "Total tests: N / Passed: N / Failed: N / Skipped: N" (older SDKs
# print one line "Passed!  - Failed: N, Passed: N, Skipped: N, Total: N"): add them up.
read -r passed failed skipped assemblies < <(awk '
  /^Total tests:/ { a++ }
  /^ +Passed: +[0-9]+/ { p += $2 }
  /^ +Failed: +[0-9]+/ { f += $2 }
  /^ +Skipped: +[0-9]+/ { s += $2 }
  /^(Passed|Failed)! +- Failed:/ { a++; split($0, x, /[:,]/); f += x[2]; p += x[4]; s += x[6] }
  END { printf "%d %d %d %d\n", p, f, s, a }' "$log")
# Name the failed tests again just above the totals: a long run's log is often read from its tail only.
failures=$(grep -aE '^ +Failed [A-Za-z_][A-Za-z0-9_.]*' "$log" | sed -E 's/^ +Failed /  failed: /' | sort -u)
rm -f "$log"

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the runner failed without a per-assembly summary (a crash or hang): count it
fi
if [ "$assemblies" -lt 2 ] && [ "$status" -eq 0 ]; then
  echo "expected summaries from 2 test assemblies, saw $assemblies"; status=1; failed=$((failed + 1))
fi
[ -z "$failures" ] || { echo "==> failed tests"; echo "$failures"; }
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
