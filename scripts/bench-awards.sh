#!/usr/bin/env bash
# Single-award throughput: POST /api/v1/credentials from 16 concurrent connections for 20 s against a fresh
# release server on SQLite (or PostgreSQL with DATABASE_URL=postgres://…), each request a new learner.
# Needs wrk (Debian package). With PERF=1, `perf record -a` (cpu-clock, DWARF call graphs) samples the whole
# machine for 8 s in the middle of the run into perf-awards.data in the current folder:
# `perf report -i perf-awards.data --no-children --sort comm,symbol`. With 9 s or more it also prints the busy
# CPU time of the whole machine per award, measured over the middle of the run.
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
# The whole machine's busy CPU time (server, database, wrk) over the middle of the run, from /proc/stat: on a
# shared machine whose speed moves between runs, CPU time per award compares builds better than throughput.
window=$((seconds > 8 ? seconds - 5 : 0))
if [ "$window" -gt 0 ]; then
  (sleep 3; head -1 /proc/stat > cpu-start.txt; sleep "$window"; head -1 /proc/stat > cpu-end.txt) &
  cpu_pid=$!
fi
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s award-bench.lua "$base" | tee wrk.txt
echo "summary: $(wrk_summary < wrk.txt)"
if [ "$window" -gt 0 ]; then
  wait "$cpu_pid"
  rps=$(awk '/Requests\/sec/{print $2}' wrk.txt)
  paste cpu-start.txt cpu-end.txt | awk -v hz="$(getconf CLK_TCK)" -v rps="$rps" -v window="$window" '{
    n = (NF - 2) / 2; for (i = 2; i <= 1 + n; i++) d[i - 1] = $(i + n + 1) - $i
    busy = d[1] + d[2] + d[3] + d[6] + d[7]; total = busy + d[4] + d[5] + d[8]
    printf "cpu: %.3f ms of busy CPU per award (machine busy %.0f %%, steal %.1f %%, over %d s)\n",
      busy * 1000 / hz / (rps * window), 100 * busy / total, 100 * d[8] / total, window }'
fi
if [ "${PERF:-}" = 1 ]; then wait "$perf_pid" || echo "perf record failed (is perf installed and allowed?)" >&2; fi
