#!/usr/bin/env bash
# Verification throughput: a fresh release server on SQLite (or PostgreSQL with DATABASE_URL=postgres://…) with
# 10,000 credentials issued through the batch path, then wrk with 64 connections hitting random ids on
#   1. GET /api/v1/verify/{id}   (the JSON verification report)
#   2. GET /credentials/{id}     (the HTML page, Accept-Language: bg)
# The rate limiter stays on, with a limit no single address reaches here, so its cost is measured.
# Needs wrk (Debian package). Usage: scripts/bench-verify.sh [SECONDS] [CONNECTIONS] [CREDENTIALS]
# MICROCRED_BIN=path runs that binary instead of building this checkout (to compare two builds on one machine).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
connections="${2:-64}"
count="${3:-10000}"
if [ -n "${MICROCRED_BIN:-}" ]; then
  bin="$(realpath "$MICROCRED_BIN")"
else
  cargo build --release -q
  bin="$PWD/target/release/microcred"
fi
dir="$(mktemp -d)"
port=18094
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir"
db="${DATABASE_URL:-sqlite://$dir/bench.db}"
base="http://127.0.0.1:$port"
"$bin" migrate --database-url "$db" 2>/dev/null  # the commands below need the database
"$bin" issuer --database-url "$db" --public-url "$base" create --slug ucs --name "Universal Certification Solutions" --country BG >/dev/null 2>&1
token=$("$bin" api-key --database-url "$db" create --issuer ucs --role assessor --name bench 2>/dev/null)
"$bin" serve --database-url "$db" --public-url "$base" --bind "127.0.0.1:$port" --max-batch-bytes 67108864 \
  --request-timeout-secs 120 --rate-limit-per-second 10000000 --rate-limit-burst 10000000 --log-level warn 2>server.log &
pid=$!
until curl -sf "$base/healthz" >/dev/null; do sleep 0.05; done
achievement=$(curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"Умни градове: основи","description":"Smart-city basics","criteria":"Pass the exam","achievement_type":"MicroCredential","learning_outcomes":["Explain urban data platforms","Design a sensor network"],"ects":5,"hours":125,"eqf_level":5,"assessment_type":"Online exam","participation":"online","quality_assurance":"ISO 21001","language":"bg"}' \
  "$base/api/v1/achievements" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
python3 - "$count" > batch.csv <<'PY'
import sys
print("name;email;result")
for i in range(int(sys.argv[1])):
    print(f"Иван Петров {i};learner{i}@example.eu;{60 + i % 40}")
PY
curl -sf -o response.json -H "Authorization: Bearer $token" -H 'content-type: text/csv' \
  --data-binary @batch.csv "$base/api/v1/credentials/batch?achievement_id=$achievement"
python3 -c '
import json
rows = json.load(open("response.json"))["rows"]
ids = [r["id"] for r in rows if r.get("id")]
open("ids.lua", "w").write("ids = {" + ",".join(chr(34) + i + chr(34) for i in ids) + "}\n")
print(len(ids), "credentials")'
cat > random.lua <<'LUA'
dofile("ids.lua")
local prefix = os.getenv("PREFIX")
local lang = os.getenv("LANG_HEADER")
init = function(args) math.randomseed(os.time() + math.floor(os.clock() * 1000000)) end
request = function()
  local headers = {}
  if lang ~= nil and lang ~= "" then headers["Accept-Language"] = lang end
  return wrk.format("GET", prefix .. ids[math.random(#ids)], headers)
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx or errors: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
# Warm the cache as real traffic would (each credential verified once), then measure.
PREFIX=/api/v1/verify/ wrk -t2 -c"$connections" -d5s -s random.lua "$base" >/dev/null
echo "== GET /api/v1/verify/{id} (JSON report), $connections connections, ${seconds}s"
PREFIX=/api/v1/verify/ wrk -t2 -c"$connections" -d"${seconds}s" --latency -s random.lua "$base"
echo "== GET /credentials/{id} (HTML page), $connections connections, ${seconds}s"
PREFIX=/credentials/ LANG_HEADER="bg,en;q=0.8" wrk -t2 -c"$connections" -d"${seconds}s" --latency -s random.lua "$base"
echo "server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MB"}')"
