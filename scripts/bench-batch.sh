#!/usr/bin/env bash
# Batch issuance speed and memory: a 10,000-row CSV batch against a fresh release server on SQLite (or on
# PostgreSQL with DATABASE_URL=postgres://…). Prints the wall time of the request and the server's peak RSS.
# With PERF=1, `perf record` (cpu-clock, DWARF call graphs) samples the server during the batch into
# perf-batch.data in the current folder: `perf report -i perf-batch.data --no-children --sort symbol`.
# Usage: scripts/bench-batch.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-10000}"
# MICROCRED_BIN=/path/to/microcred runs another build (an older commit's, to compare in the same hour).
if [ -z "${MICROCRED_BIN:-}" ]; then cargo build --release -q; fi
bin="${MICROCRED_BIN:-$PWD/target/release/microcred}"
dir="$(mktemp -d)"
port=18090
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
out="$PWD"
cd "$dir"
db="${DATABASE_URL:-sqlite://$dir/bench.db}"
"$bin" migrate --database-url "$db" 2>/dev/null  # the commands below need the database
"$bin" issuer --database-url "$db" create --slug ucs --name "Universal Certification Solutions" --country BG >/dev/null 2>&1
token=$("$bin" api-key --database-url "$db" create --issuer ucs --role assessor --name bench 2>/dev/null)
"$bin" serve --database-url "$db" --bind "127.0.0.1:$port" --max-batch-bytes 67108864 --request-timeout-secs 120 2>server.log &
pid=$!
until curl -sf "localhost:$port/healthz" >/dev/null; do sleep 0.05; done
achievement=$(curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"Smart city basics","description":"Basics","criteria":"Pass the exam","achievement_type":"MicroCredential","learning_outcomes":["Explain urban data platforms"],"ects":5,"assessment_type":"Online exam","participation":"online","quality_assurance":"ISO 21001"}' \
  "localhost:$port/api/v1/achievements" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
python3 - "$rows" > batch.csv <<'PY'
import sys
print("name;email;result")
for i in range(int(sys.argv[1])):
    print(f"Иван Петров {i};learner{i}@example.eu;{60 + i % 40}")
PY
if [ "${PERF:-}" = 1 ]; then
  perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$pid" -o "$out/perf-batch.data" 2>/dev/null &
  perf_pid=$!
  sleep 1
fi
start=$(date +%s%N)
status=$(curl -s -o response.json -w '%{http_code}' -H "Authorization: Bearer $token" -H 'content-type: text/csv' \
  --data-binary @batch.csv "localhost:$port/api/v1/credentials/batch?achievement_id=$achievement")
end=$(date +%s%N)
if [ "${PERF:-}" = 1 ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
issued=$(python3 -c 'import json; print(json.load(open("response.json"))["issued"])')
echo "rows: $rows, HTTP $status, issued: $issued, time: $(( (end - start) / 1000000 )) ms, server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MB"}')"
