#!/usr/bin/env bash
# Delivering learners' e-mail: a 10,000-row CSV batch against a release server on SQLite (or PostgreSQL with
# DATABASE_URL=postgres://…) sending to a local real SMTP server (aiosmtpd: tests/smtp/server.py, Debian's
# python3-aiosmtpd). Prints how long the batch took to answer (its 10,000 outbox rows included), how long
# until the SMTP server had received all 10,000 messages, and single-award latency (one connection,
# awards with notify:false at 20 a second, so the probe itself adds no mail) with the outbox idle and while
# the batch's messages are being sent. Usage: scripts/bench-mail.sh [ROWS] [CONCURRENCY]
set -euo pipefail
rows="${1:-10000}"
concurrency="${2:-16}"
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$(dirname "$0")/lib.sh"
base=http://127.0.0.1:18095
smtp_port=18096
mkdir -p "$dir/mail"
/usr/bin/python3 "$root/tests/smtp/server.py" "$dir/mail" --port "$smtp_port" > smtp.log 2>&1 &
pids+=($!)
smtp_pid=$!
until grep -q ready smtp.log 2>/dev/null; do sleep 0.05; done
bench_issuer "$base"
bench_serve 18095 --smtp-url "smtp://127.0.0.1:$smtp_port" --mail-concurrency "$concurrency"
server_pid=${pids[-1]}
# CPU seconds (user + system) a process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
achievement=$(bench_achievement "$base")
# The latency probe: single awards (notify:false, so the probe adds no mail) at a steady 20 a second on one
# keep-alive connection, light enough not to take the CPU the delivery needs (wrk at full speed would).
cat > probe.py <<'PY'
import http.client, json, sys, time
host, port, token, achievement, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
body = json.dumps({"achievement_id": achievement, "notify": False, "allow_duplicate": True,
                   "recipient": {"name": "Иван Петров", "email": "probe@example.eu"}})
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
conn, latencies, errors = http.client.HTTPConnection(host, port), [], 0
end = time.monotonic() + seconds
next_at = time.monotonic()
while time.monotonic() < end:
    t = time.monotonic()
    conn.request("POST", "/api/v1/credentials", body, headers)
    response = conn.getresponse()
    response.read()
    latencies.append((time.monotonic() - t) * 1000)
    errors += response.status != 201
    next_at += 0.05
    time.sleep(max(0, next_at - time.monotonic()))
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print(f"{len(latencies)} awards, p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {latencies[-1]:.1f} ms, {errors} errors")
PY
probe() { python3 probe.py 127.0.0.1 18095 "$token" "$achievement" "$1"; }
received() { find "$dir/mail" -name '*.eml' | wc -l; }

echo "single awards, outbox idle: $(probe 15)"

bench_csv "$rows" mail > batch.csv
server_cpu=$(cpu "$server_pid"); smtp_cpu=$(cpu "$smtp_pid")
start=$(millis)
status=$(curl -s -o response.json -w '%{http_code}' -H "Authorization: Bearer $token" -H 'content-type: text/csv' \
  --data-binary @batch.csv "$base/api/v1/credentials/batch?achievement_id=$achievement")
answered=$(millis)
echo "batch of $rows: HTTP $status in $((answered - start)) ms (outbox rows included)"
# Single awards while the batch's messages leave.
probe 15 > during.txt &
probe_pid=$!
while [ "$(received)" -lt "$rows" ]; do
  if [ $(( $(millis) - answered )) -gt 300000 ]; then echo "gave up after 300 s: $(received) received"; break; fi
  sleep 0.1
done
done_at=$(millis)
wait "$probe_pid"
echo "single awards while sending: $(cat during.txt)"
echo "all $(received) messages received $((done_at - answered)) ms after the batch was answered ($(( rows * 1000 / (done_at - answered + 1) )) messages/s, mail concurrency $concurrency)"
echo "CPU from the batch to the last message: microcred $(echo "$(cpu "$server_pid") - $server_cpu" | bc) s (the probe's awards included), the SMTP server $(echo "$(cpu "$smtp_pid") - $smtp_cpu" | bc) s"
echo "server peak RSS: $(grep VmHWM "/proc/$server_pid/status" | awk '{print $2/1024 " MB"}')"
