#!/usr/bin/env bash
# Memory of the verdict cache: the server's resident memory (VmRSS) before and after verifying N distinct
# credentials once each (the JSON report, 16 concurrent clients), for each cache budget, with the cache's own
# estimate from /metrics beside it.
#
#   scripts/bench-memory.sh [N=20000] ["BUDGETS_MIB"="128 1024"]
set -euo pipefail
n=${1:-20000}
budgets=${2:-"128 1024"}
source "$(dirname "$0")/lib.sh"
port=18431
base="http://127.0.0.1:$port"
bench_issuer "$base"
bench_serve "$port"
achievement=$(bench_achievement "$base")
for ((i = 0; i < n; i += 10000)); do
  bench_csv $((n - i < 10000 ? n - i : 10000)) "m$i" > batch.csv
  curl -sf -H "Authorization: Bearer $token" -H 'content-type: text/csv' --data-binary @batch.csv \
    "$base/api/v1/credentials/batch?achievement_id=$achievement" >/dev/null
done
curl -sf -H "Authorization: Bearer $token" "$base/api/v1/credentials.csv" | tail -n +2 | cut -d, -f1 > ids.txt
kill "${pids[-1]}"
wait "${pids[-1]}" 2>/dev/null || true
echo "$(wc -l < ids.txt) credentials"

for mib in $budgets; do
  metrics_port=$((port + 1))
  "$bin" serve --database-url "$db" --public-url "$base" --bind "127.0.0.1:$port" --metrics-bind "127.0.0.1:$metrics_port" \
    --rate-limit-per-second 0 --log-level warn --verdict-cache-mb "$mib" 2>>server.log &
  pid=$!
  pids+=("$pid")
  until curl -sf "$base/healthz" >/dev/null; do sleep 0.02; done
  rss() { awk '/VmRSS/{print int($2 / 1024)}' "/proc/$pid/status"; }
  # One verification first, so that pools, templates and contexts are in memory before the baseline.
  curl -sf "$base/api/v1/verify/$(head -1 ids.txt)" >/dev/null
  before=$(rss)
  start=$(millis)
  python3 - "$base" ids.txt <<'PY'
import concurrent.futures, json, sys, urllib.request
base, ids = sys.argv[1], open(sys.argv[2]).read().split()
def check(i):
    return json.load(urllib.request.urlopen(f"{base}/api/v1/verify/{i}"))["outcome"]
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    outcomes = list(pool.map(check, ids))
bad = [o for o in outcomes if o != "valid"]
assert not bad, bad[:5]
PY
  took=$(($(millis) - start))
  after=$(rss)
  cache=$(curl -sf "http://127.0.0.1:$metrics_port/metrics" |
    awk '/^microcred_verdict_cache_entries /{e=$2} /^microcred_verdict_cache_bytes /{b=$2} END {printf "%d verdicts, %.0f MiB estimated", e, b / 1048576}')
  echo "budget $mib MiB: RSS $before → $after MiB (+$((after - before))) after $n cold verifications in $took ms; cache: $cache"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done
