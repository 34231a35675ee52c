#!/usr/bin/env bash
# Start-up time (until /healthz answers) and idle RSS of the release binary, first and second start, on SQLite.
# Usage: scripts/startup.sh [PORT]   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin="$PWD/target/release/microcred"
port="${1:-18080}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cd "$dir"
for run in first second; do
  start=$(date +%s%N)
  "$bin" serve --bind "127.0.0.1:$port" 2>"log.$run" &
  pid=$!
  until curl -sf "localhost:$port/healthz" >/dev/null; do sleep 0.005; done
  end=$(date +%s%N)
  sleep 2
  echo "$run start: $(( (end - start) / 1000000 )) ms to /healthz, idle $(grep VmRSS /proc/$pid/status)"
  kill -TERM "$pid"
  wait "$pid"
done
