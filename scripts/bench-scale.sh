#!/usr/bin/env bash
# Cost as the work grows: measures, on an empty database and again after N credentials (default 1,000,000,
# issued through the batch path in batches of 10,000), the single-award latency, the verification page and
# JSON report latency on random ids, the time until a revocation shows in the published status list, and
# listing with filters; then the database size per credential. SQLite by default, PostgreSQL with
# DATABASE_URL=postgres://… (the database must exist and be empty). With EXISTING=1 it measures a database an
# earlier run filled (a PostgreSQL database outlives the run), skipping the first round and the issuance, so that
# a change can be measured at a million without issuing them again. On PostgreSQL it then starts a second replica
# over the same database and measures awards, verification and a batch with the load split between the two.
# Needs wrk.
# Usage: scripts/bench-scale.sh [CREDENTIALS]
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
count="${1:-1000000}"
# MICROCRED_BIN=/path/to/microcred runs another build (an older commit's, to compare in the same hour).
if [ -z "${MICROCRED_BIN:-}" ]; then cargo build --release -q; fi
bin="$(realpath "${MICROCRED_BIN:-$PWD/target/release/microcred}")"
dir="$(mktemp -d)"
port=18096
trap 'kill "${pid:-}" 2>/dev/null || true; wait; rm -rf "$dir"' EXIT
cd "$dir"
db="${DATABASE_URL:-sqlite://$dir/bench.db}"
# The issuer's key must outlive the run when the database does (PostgreSQL), for EXISTING=1.
case "$db" in
  postgres*) export MICROCRED_KEYS_DIR="$repo/target/bench-scale-keys" ;;
esac
base="http://127.0.0.1:$port"
[ -n "${EXISTING:-}" ] || "$bin" migrate --database-url "$db" 2>/dev/null  # the commands below need the database
[ -n "${EXISTING:-}" ] || "$bin" issuer --database-url "$db" --public-url "$base" create --slug ucs \
  --name "Universal Certification Solutions" --country BG >/dev/null 2>&1
token=$("$bin" api-key --database-url "$db" create --issuer ucs --role assessor --name bench 2>/dev/null)
"$bin" serve --database-url "$db" --public-url "$base" --bind "127.0.0.1:$port" --metrics-bind 127.0.0.1:0 --max-batch-bytes 67108864 \
  --request-timeout-secs 300 --rate-limit-per-second 0 --log-level warn 2>server.log &
pid=$!
until curl -sf "$base/healthz" >/dev/null; do sleep 0.05; done
if [ -n "${EXISTING:-}" ]; then
  achievement=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/achievements" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
else achievement=$(curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"Smart city basics","description":"Basics","criteria":"Pass the exam","achievement_type":"MicroCredential","learning_outcomes":["Explain urban data platforms"],"ects":5,"assessment_type":"Online exam","participation":"online","quality_assurance":"ISO 21001"}' \
  "$base/api/v1/achievements" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
fi

cat > award.lua <<LUA
local counter = 0
local thread_id = 0
setup = function(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
request = function()
  counter = counter + 1
  local body = string.format('{"achievement_id":"$achievement","recipient":{"name":"Probe","email":"probe-%s-%d-%d@example.eu"}}', os.getenv("ROUND"), id, counter)
  return wrk.format("POST", "/api/v1/credentials", {["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json"}, body)
end
LUA
cat > random.lua <<'LUA'
dofile("ids.lua")
local prefix = os.getenv("PREFIX")
init = function(args) math.randomseed(os.time() + math.floor(os.clock() * 1000000)) end
request = function() return wrk.format("GET", prefix .. ids[math.random(#ids)]) end
LUA

cat > cold.lua <<'LUA'
-- Each request asks for an id not asked for before (two threads interleave over ids[FIRST+1 .. FIRST+COUNT]), so
-- every answer is a first verification: signature, status lists, no verdict cache. A thread stops once its
-- half is answered (wrk then divides by the time it really ran), so nothing is asked twice.
dofile("ids.lua")
local prefix, first, count = os.getenv("PREFIX"), tonumber(os.getenv("FIRST")), tonumber(os.getenv("COUNT"))
local threads = 0
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
local sent, answered = 0, 0
request = function()
  local i = first + (sent * 2 + tid) % count
  sent = sent + 1
  return wrk.format("GET", prefix .. ids[i + 1])
end
response = function()
  answered = answered + 1
  if answered * 2 >= count - 32 and answered * 2 < count - 30 then
    io.open("cold-done-" .. tid, "w"):close()
    wrk.thread:stop()
  end
end
LUA

latency() { # wrk output → "p50 / p99 / req/s"
  awk '/ 50%/{p50=$2} / 99%/{p99=$2} /Requests\/sec/{rps=$2} END {printf "p50 %s, p99 %s, %s req/s", p50, p99, rps}'
}

cold() { # $1 = first id, $2 = path prefix → "p50 / p99 / req/s" over up to 5,000 ids asked once each. A stopped wrk
  # thread does not end wrk's run: each leaves a file when done, and SIGINT then ends the run, so that wrk
  # divides by the time the requests took (plus up to 10 ms of polling), not by its -d.
  rm -f cold-done-*
  FIRST="$1" COUNT="$(cat half.txt)" PREFIX="$2" wrk -t2 -c16 -d60s --latency -s cold.lua "$base" > cold.txt &
  local w=$!
  until [ -e cold-done-0 ] && [ -e cold-done-1 ]; do sleep 0.01; done
  kill -INT "$w"
  wait "$w"
  latency < cold.txt
}

measure() { # $1 = label
  local round="$1"
  # Single awards, 4 connections, 10 s.
  echo "[$round] single award: $(ROUND=$round wrk -t1 -c4 -d10s --latency -s award.lua "$base" | latency)"
  # ids of existing credentials for random reads (a sample of up to 10,000).
  local start
  start=$(date +%s%3N)
  curl -sf -H "Authorization: Bearer $token" "$base/api/v1/credentials.csv" -o all.csv
  echo "[$round] CSV export of all $(( $(wc -l < all.csv) - 1 )) credentials: $(( $(date +%s%3N) - start )) ms"
  python3 -c '
import csv, random
ids = [r["id"] for r in csv.DictReader(open("all.csv", encoding="utf-8-sig"))]
random.seed(1); sample = random.sample(ids, min(10000, len(ids)))
open("ids.lua", "w").write("ids = {" + ",".join(chr(34) + i + chr(34) for i in sample) + "}\n")
open("five.txt", "w").write(" ".join(sample[-5:]))
open("half.txt", "w").write(str(min(5000, len(sample) // 2)))'
  echo "[$round] verification report, cold (each id once): $(cold 0 /api/v1/verify/)"
  echo "[$round] verification page, cold (each id once): $(cold "$(cat half.txt)" /credentials/)"
  echo "[$round] verification report: $(PREFIX=/api/v1/verify/ wrk -t2 -c16 -d10s --latency -s random.lua "$base" | latency)"
  echo "[$round] verification page: $(PREFIX=/credentials/ wrk -t2 -c16 -d10s --latency -s random.lua "$base" | latency)"
  # Listing with filters: by e-mail, and by achievement and date range (first page of 100), 1 connection, 5 s.
  echo "[$round] list by e-mail: $(wrk -t1 -c1 -d5s --latency -H "Authorization: Bearer $token" "$base/api/v1/credentials?email=learner77@example.eu" | latency)"
  echo "[$round] list by achievement and date, 100 per page: $(wrk -t1 -c1 -d5s --latency -H "Authorization: Bearer $token" "$base/api/v1/credentials?achievement_id=$achievement&issued_after=2026-01-01T00:00:00Z&limit=100" | latency)"
  # Revocations until they show in the published list (one process polls the list as fast as it can), five
  # credentials one after the other.
  for cid in $(cat five.txt); do python3 - "$base" "$token" "$cid" <<'PY'
import base64, gzip, json, sys, time, urllib.request
base, token, cid = sys.argv[1:4]
get = lambda url: json.load(urllib.request.urlopen(url))
entry = get(f"{base}/credentials/{cid}.json")["credentialStatus"]
index = int(entry["statusListIndex"])
request = urllib.request.Request(f"{base}/api/v1/credentials/{cid}/revoke", data=b'{"reason":"bench"}', method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
start = time.monotonic()
urllib.request.urlopen(request).read()
revoked = time.monotonic()
while True:
    enc = get(entry["statusListCredential"])["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(enc + "=" * (-len(enc) % 4)))
    if bits[index // 8] >> (7 - index % 8) & 1:
        break
done = time.monotonic()
print(f"revocation request {1000 * (revoked - start):.1f} ms; visible in the published list {1000 * (done - start):.1f} ms after it was sent")
PY
  done
}

if [ -n "${EXISTING:-}" ]; then
  measure existing
  exit
fi
measure empty
python3 -c '
import sys
n = int(sys.argv[1])
for b in range(0, n, 10000):
    with open(f"batch{b // 10000}.csv", "w") as f:
        f.write("name;email\n")
        for i in range(b, min(b + 10000, n)):
            f.write(f"Иван Петров {i};learner{i}@example.eu\n")' "$count"
start=$(date +%s)
: > batch-times.txt
for f in $(ls batch*.csv | sort -V); do
  t=$(date +%s%3N)
  curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'content-type: text/csv' --data-binary @"$f" "$base/api/v1/credentials/batch?achievement_id=$achievement&notify=false"
  echo $(( $(date +%s%3N) - t )) >> batch-times.txt
done
echo "issued $count credentials in $(( $(date +%s) - start )) s"
# How a 10,000-row batch's time grows with the table: the first batch, the last, and the median of each tenth.
python3 - <<'PY'
times = [int(t) for t in open("batch-times.txt")]
tenth = max(1, len(times) // 10)
medians = [sorted(times[i:i + tenth])[len(times[i:i + tenth]) // 2] for i in range(0, len(times), tenth)]
print(f"batch of 10,000: first {times[0]} ms, last {times[-1]} ms, median of each tenth {medians} ms")
PY
# The batches send no e-mail (a million messages would measure the mail folder, not the database); the single
# awards' e-mails go out in the background: measure once they are all written, not while.
start=$(date +%s)
python3 - "$db" "$dir" <<'PY'
import subprocess, sqlite3, sys, time
db, folder = sys.argv[1:3]
query = "SELECT COUNT(*) FROM delivery WHERE status = 'pending'"
def pending():
    if db.startswith("postgres"):
        return int(subprocess.run(["psql", db, "-Atc", query], capture_output=True, text=True, check=True).stdout)
    return sqlite3.connect(f"{folder}/bench.db", timeout=30).execute(query).fetchone()[0]
while pending() > 0:
    time.sleep(1)
PY
echo "their e-mails were all written $(( $(date +%s) - start )) s later"
measure full
case "$db" in
  postgres*)
    # A second replica over the same database: the load of each measurement split between the two.
    port2=$((port + 1))
    "$bin" serve --database-url "$db" --public-url "$base" --bind "127.0.0.1:$port2" --metrics-bind 127.0.0.1:0 \
      --max-batch-bytes 67108864 --request-timeout-secs 300 --rate-limit-per-second 0 --log-level warn 2>server2.log &
    pid2=$!
    trap 'kill "${pid:-}" "${pid2:-}" 2>/dev/null || true; wait; rm -rf "$dir"' EXIT
    until curl -sf "http://127.0.0.1:$port2/healthz" >/dev/null; do sleep 0.05; done
    two() { # $1 = connections per replica, $2 = script, then environment → summed req/s, the worse p50 and p99
      local c="$1" s="$2"
      wrk -t1 -c"$c" -d10s --latency -s "$s" "$base" > one.txt &
      local w=$!
      wrk -t1 -c"$c" -d10s --latency -s "$s" "http://127.0.0.1:$port2" > two.txt
      wait "$w"
      python3 - one.txt two.txt <<'PY'
import re, sys
def ms(v): return float(v[:-2]) if v.endswith("ms") else float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-1]) * 1000
runs = [open(f).read() for f in sys.argv[1:]]
p50 = max(ms(re.search(r" 50%\s+(\S+)", r).group(1)) for r in runs)
p99 = max(ms(re.search(r" 99%\s+(\S+)", r).group(1)) for r in runs)
rps = sum(float(re.search(r"Requests/sec:\s+(\S+)", r).group(1)) for r in runs)
print(f"p50 {p50:.2f}ms, p99 {p99:.2f}ms, {rps:.2f} req/s (two replicas)")
PY
    }
    # The second replica's verdict cache starts empty: fill it as the first one's was (10 s of each read).
    PREFIX=/api/v1/verify/ wrk -t2 -c16 -d10s -s random.lua "http://127.0.0.1:$port2" > /dev/null
    PREFIX=/credentials/ wrk -t2 -c16 -d10s -s random.lua "http://127.0.0.1:$port2" > /dev/null
    echo "[two replicas] single award: $(ROUND=two two 2 award.lua)"
    echo "[two replicas] verification report: $(PREFIX=/api/v1/verify/ two 8 random.lua)"
    echo "[two replicas] verification page: $(PREFIX=/credentials/ two 8 random.lua)"
    python3 -c '
with open("batch-two.csv", "w") as f:
    f.write("name;email\n")
    for i in range(10000):
        f.write(f"Μαρία Παπαδοπούλου {i};replica{i}@example.eu\n")'
    t=$(date +%s%3N)
    curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'content-type: text/csv' --data-binary @batch-two.csv \
      "http://127.0.0.1:$port2/api/v1/credentials/batch?achievement_id=$achievement&notify=false"
    echo "[two replicas] batch of 10,000 on the second replica: $(( $(date +%s%3N) - t )) ms"
    ;;
esac
case "$db" in
  sqlite://*) size=$(du -cb "$dir"/bench.db* | tail -1 | cut -f1) ;;
  *) size=$(psql "$db" -Atc "select pg_database_size(current_database())") ;;
esac
echo "database size: $(( size / 1048576 )) MB, $(( size / (count + 1) )) bytes per credential"
