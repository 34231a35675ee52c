#!/usr/bin/env bash
# Delivering learners' e-mail: a 10,000-row CSV batch against a release server on SQLite (or PostgreSQL with
# DATABASE_URL=postgres://…) sending to a local real SMTP server (aiosmtpd: tests/smtp/server.py, Debian's
# python3-aiosmtpd). Prints how long the batch took to answer (its 10,000 outbox rows included), how long
# until the SMTP server had received all 10,000 messages, and single-award latency (wrk, 2 connections,
# awards with notify:false so the probe itself adds no mail) with the outbox idle and while the batch's
# messages are being sent. Needs wrk. Usage: scripts/bench-mail.sh [ROWS] [CONCURRENCY]
set -euo pipefail
rows="${1:-10000}"
concurrency="${2:-8}"
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$(dirname "$0")/lib.sh"
base=http://127.0.0.1:18095
smtp_port=18096
mkdir -p "$dir/mail"
/usr/bin/python3 "$root/tests/smtp/server.py" "$dir/mail" --port "$smtp_port" > smtp.log 2>&1 &
pids+=($!)
until grep -q ready smtp.log 2>/dev/null; do sleep 0.05; done
bench_issuer "$base"
bench_serve 18095 --smtp-url "smtp://127.0.0.1:$smtp_port" --mail-concurrency "$concurrency"
achievement=$(bench_achievement "$base")
cat > probe.lua <<LUA
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"achievement_id":"$achievement","notify":false,"allow_duplicate":true,"recipient":{"name":"Иван Петров","email":"probe@example.eu"}}')
  return wrk.format("POST", "/api/v1/credentials", {["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json"}, body)
end
LUA
received() { find "$dir/mail" -name '*.eml' | wc -l; }

echo "single awards, outbox idle: $(wrk -t1 -c2 -d10s --latency -s probe.lua "$base" | wrk_summary)"

bench_csv "$rows" mail > batch.csv
start=$(millis)
status=$(curl -s -o response.json -w '%{http_code}' -H "Authorization: Bearer $token" -H 'content-type: text/csv' \
  --data-binary @batch.csv "$base/api/v1/credentials/batch?achievement_id=$achievement")
answered=$(millis)
echo "batch of $rows: HTTP $status in $((answered - start)) ms (outbox rows included)"
# Single awards while the batch's messages leave.
wrk -t1 -c2 -d10s --latency -s probe.lua "$base" > during.txt &
wrk_pid=$!
while [ "$(received)" -lt "$rows" ]; do
  if [ $(( $(millis) - answered )) -gt 300000 ]; then echo "gave up after 300 s: $(received) received"; break; fi
  sleep 0.1
done
done_at=$(millis)
wait "$wrk_pid"
echo "single awards while sending: $(wrk_summary < during.txt)"
echo "all $(received) messages received $((done_at - answered)) ms after the batch was answered ($(( rows * 1000 / (done_at - answered + 1) )) messages/s, mail concurrency $concurrency)"
echo "server peak RSS: $(grep VmHWM "/proc/${pids[-1]}/status" | awk '{print $2/1024 " MB"}')"
