#!/usr/bin/env bash
# Recovery after a kill: a release server is killed with SIGKILL 0.7 s into a 10,000-row batch and started
# again. Prints the time from the restart until /readyz answers 200, then the time the retried batch (same
# Idempotency-Key) takes, and the count stored. SQLite by default, DATABASE_URL=postgres://… for PostgreSQL.
# With PG_RESTART=1 (PostgreSQL only; it stops the local cluster, so nothing else may be using it) it then stops
# PostgreSQL, checks that awards get 503, starts it, and prints the time until the server is ready again.
# Usage: scripts/bench-recovery.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
base=http://127.0.0.1:18121
bench_issuer "$base"
bench_serve 18121
achievement=$(bench_achievement "$base")
bench_csv 10000 crash > batch.csv
send_batch() {
  curl -s -o "$1" -w '%{http_code}' -H "Authorization: Bearer $token" -H 'content-type: text/csv' \
    -H 'Idempotency-Key: semester' --data-binary @batch.csv "$base/api/v1/credentials/batch?achievement_id=$achievement"
}
send_batch cut.json > cut.status &
sender=$!
sleep 0.7
kill -KILL "${pids[-1]}"
wait "$sender" || true
start=$(millis)
"$bin" serve --database-url "$db" --public-url "$base" --bind 127.0.0.1:18121 --metrics-bind 127.0.0.1:0 \
  --max-batch-bytes 67108864 --request-timeout-secs 300 --rate-limit-per-second 0 --log-level warn 2>>server-restart.log &
pids+=($!)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ]; do sleep 0.005; done
echo "killed 0.7 s into the batch; ready again $(( $(millis) - start )) ms after the restart"
start=$(millis)
status=$(send_batch retry.json)
echo "retried batch: HTTP $status in $(( $(millis) - start )) ms, $(python3 -c 'import json; print(json.load(open("retry.json"))["issued"])') issued"
curl -sf -H "Authorization: Bearer $token" "$base/api/v1/credentials.csv" | python3 -c 'import sys; print("stored:", sum(1 for _ in sys.stdin) - 1, "credentials")'
if [ "${PG_RESTART:-0}" = 1 ] && [[ "$db" == postgres* ]]; then
  cluster="$(ls /etc/postgresql) main"
  award() {
    curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" -H 'content-type: application/json' \
      -d "{\"achievement_id\":\"$achievement\",\"recipient\":{\"name\":\"Lucía\",\"email\":\"lucia-$1@example.es\"}}" \
      "$base/api/v1/credentials"
  }
  # shellcheck disable=SC2086
  pg_ctlcluster --skip-systemctl-redirect $cluster stop
  echo "PostgreSQL stopped: /readyz $(curl -s -o /dev/null -w '%{http_code}' "$base/readyz"), an award gets $(award down)"
  # shellcheck disable=SC2086
  pg_ctlcluster --skip-systemctl-redirect $cluster start
  start=$(millis)
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ]; do sleep 0.005; done
  echo "PostgreSQL started: ready again $(( $(millis) - start )) ms after pg_ctlcluster start returned; an award gets $(award up)"
fi
