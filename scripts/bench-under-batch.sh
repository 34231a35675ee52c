#!/usr/bin/env bash
# The public verification page while a 10,000-award batch is being issued: wrk reads random credential pages
# (ids of an earlier batch) with CONNECTIONS connections, first alone for 10 s, then from just before a new
# 10,000-row batch is posted until it is answered. SQLite by default, DATABASE_URL=postgres://… for PostgreSQL.
# Needs wrk. Usage: scripts/bench-under-batch.sh [CONNECTIONS]
set -euo pipefail
connections="${1:-64}"
source "$(dirname "$0")/lib.sh"
base=http://127.0.0.1:18111
bench_issuer "$base"
bench_serve 18111
achievement=$(bench_achievement "$base")
bench_csv 10000 first > first.csv
bench_csv 10000 second > second.csv
curl -sf -o first.json -H "Authorization: Bearer $token" -H 'content-type: text/csv' --data-binary @first.csv \
  "$base/api/v1/credentials/batch?achievement_id=$achievement"
python3 -c '
import json
ids = [r["id"] for r in json.load(open("first.json"))["rows"]]
open("ids.lua", "w").write("ids = {" + ",".join(chr(34) + i + chr(34) for i in ids) + "}\n")'
cat > pages.lua <<'LUA'
dofile("ids.lua")
init = function(args) math.randomseed(os.time() + math.floor(os.clock() * 1000000)) end
request = function() return wrk.format("GET", "/credentials/" .. ids[math.random(#ids)]) end
LUA
echo "pages alone: $(wrk -t2 -c"$connections" -d10s --latency -s pages.lua "$base" | wrk_summary)"
wrk -t2 -c"$connections" -d300s --latency -s pages.lua "$base" > during.txt &
w=$!
sleep 0.5
start=$(millis)
status=$(curl -s -o second.json -w '%{http_code}' -H "Authorization: Bearer $token" -H 'content-type: text/csv' \
  --data-binary @second.csv "$base/api/v1/credentials/batch?achievement_id=$achievement")
took=$(( $(millis) - start ))
kill -INT "$w" 2>/dev/null || echo "wrk had stopped: $(cat during.txt)"
wait "$w" || true
echo "pages during the batch: $(wrk_summary < during.txt)"
echo "the batch: HTTP $status, $(python3 -c 'import json; print(json.load(open("second.json"))["issued"])') issued in $took ms"
