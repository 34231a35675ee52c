#!/usr/bin/env bash
# Awards per second with two replicas over one PostgreSQL database, against one replica alone: POST
# /api/v1/credentials from wrk, each request a new learner, for SECONDS with CONNECTIONS in all (split evenly
# over the replicas). The database is made afresh (PG_ADMIN_URL names the server, default the local one).
# Needs wrk and psql. Usage: scripts/bench-replicas.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
seconds="${1:-20}"
connections="${2:-16}"
admin="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
psql "$admin" -qc 'DROP DATABASE IF EXISTS microcred_bench_replicas' -c 'CREATE DATABASE microcred_bench_replicas'
# PG_PARAMS=host=/var/run/postgresql (say) connects the replicas through PostgreSQL's Unix socket instead.
export DATABASE_URL="${admin%/*}/microcred_bench_replicas${PG_PARAMS:+?$PG_PARAMS}"
source "$(dirname "$0")/lib.sh"
bench_issuer http://127.0.0.1:18101
bench_serve 18101
bench_serve 18102
achievement=$(bench_achievement http://127.0.0.1:18101)
bench_award_lua "$achievement" one
bench_award_lua "$achievement" a
bench_award_lua "$achievement" b
echo "one replica, $connections connections: $(wrk -t2 -c"$connections" -d"${seconds}s" --latency -s award-one.lua http://127.0.0.1:18101 | wrk_summary)"
half=$(( connections / 2 ))
wrk -t1 -c"$half" -d"${seconds}s" --latency -s award-a.lua http://127.0.0.1:18101 > a.txt &
wrk -t1 -c"$half" -d"${seconds}s" --latency -s award-b.lua http://127.0.0.1:18102 > b.txt
wait %%
echo "two replicas, $half connections each: replica 1 $(wrk_summary < a.txt); replica 2 $(wrk_summary < b.txt)"
awk '/Requests\/sec/{s+=$2} END {printf "two replicas together: %.0f awards/s\n", s}' a.txt b.txt
psql "$DATABASE_URL" -Atc "SELECT 'stored: ' || count(*) || ' credentials, ' || count(DISTINCT (status_list_id, status_index)) || ' distinct status indexes' FROM credential"
