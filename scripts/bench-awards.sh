#!/usr/bin/env bash
# Single-award throughput: POST /api/v1/credentials from 16 concurrent connections for 20 s against a fresh
# release server on SQLite (or PostgreSQL with DATABASE_URL=postgres://…), each request a new learner.
# Needs wrk (Debian package). With PERF=1, `perf record -a` (cpu-clock, DWARF call graphs) samples the whole
# machine for 8 s in the middle of the run into perf-awards.data in the current folder:
# `perf report -i perf-awards.data --no-children --sort comm,symbol`.
# Usage: scripts/bench-awards.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
out="$PWD"
seconds="${1:-20}"
connections="${2:-16}"
source "$(dirname "$0")/lib.sh"
base=http://127.0.0.1:18091
bench_issuer "$base"
bench_serve 18091
bench_award_lua "$(bench_achievement "$base")" bench
if [ "${PERF:-}" = 1 ]; then
  (sleep 3; perf record -a -e cpu-clock -F 499 --call-graph dwarf,16384 -o "$out/perf-awards.data" -- sleep 8 2>/dev/null) &
  perf_pid=$!
fi
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s award-bench.lua "$base" | tee wrk.txt
echo "summary: $(wrk_summary < wrk.txt)"
if [ "${PERF:-}" = 1 ]; then wait "$perf_pid"; fi
