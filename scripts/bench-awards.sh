#!/usr/bin/env bash
# Single-award throughput: POST /api/v1/credentials from 16 concurrent connections for 20 s against a fresh
# release server on SQLite (or PostgreSQL with DATABASE_URL=postgres://…), each request a new learner.
# Needs wrk (Debian package). Usage: scripts/bench-awards.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
seconds="${1:-20}"
connections="${2:-16}"
source "$(dirname "$0")/lib.sh"
base=http://127.0.0.1:18091
bench_issuer "$base"
bench_serve 18091
bench_award_lua "$(bench_achievement "$base")" bench
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s award-bench.lua "$base" | tee wrk.txt
echo "summary: $(wrk_summary < wrk.txt)"
