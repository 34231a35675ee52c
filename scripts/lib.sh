# Shared set-up for the benchmark scripts (sourced, not run): a release build, a scratch folder that is removed
# on exit with every server started from it, an issuer with an assessor token, and an achievement.
# The database is SQLite in the scratch folder, or DATABASE_URL=postgres://… (which must exist and be empty).

if [ -n "${MICROCRED_BIN:-}" ]; then MICROCRED_BIN="$(realpath "$MICROCRED_BIN")"; fi  # before leaving the caller's folder
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"
# MICROCRED_BIN=/path/to/microcred runs another build (an older commit's, to compare in the same hour).
if [ -z "${MICROCRED_BIN:-}" ]; then cargo build --release -q; fi
bin="${MICROCRED_BIN:-$PWD/target/release/microcred}"
dir="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"
db="${DATABASE_URL:-sqlite://$dir/bench.db}"

# bench_issuer BASE_URL: creates the issuer and sets $token to an assessor's API token.
bench_issuer() {
  "$bin" migrate --database-url "$db" 2>/dev/null  # the commands below need the database
  "$bin" issuer --database-url "$db" --public-url "$1" create --slug ucs --name "Universal Certification Solutions" \
    --country BG >/dev/null 2>&1
  token=$("$bin" api-key --database-url "$db" create --issuer ucs --role assessor --name bench 2>/dev/null)
}

# bench_serve PORT [ARGS…]: starts a release server in the background (its pid last in $pids, its log in
# server-PORT.log) without a rate limit, and waits until it answers.
bench_serve() {
  local port="$1"
  shift
  "$bin" serve --database-url "$db" --public-url "http://127.0.0.1:$port" --bind "127.0.0.1:$port" \
    --metrics-bind 127.0.0.1:0 --max-batch-bytes 67108864 --request-timeout-secs 300 --rate-limit-per-second 0 \
    --log-level warn "$@" 2>>"server-$port.log" &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "the server did not start:" >&2; cat "server-$port.log" >&2; exit 1; }
    sleep 0.02
  done
}

# bench_achievement BASE_URL: prints the id of a new micro-credential achievement.
bench_achievement() {
  curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"name":"Smart city basics","description":"Basics","criteria":"Pass the exam","achievement_type":"MicroCredential","learning_outcomes":["Explain urban data platforms"],"ects":5,"assessment_type":"Online exam","participation":"online","quality_assurance":"ISO 21001"}' \
    "$1/api/v1/achievements" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

# bench_csv ROWS TAG: prints a batch CSV of ROWS learners whose e-mails carry TAG.
bench_csv() {
  python3 - "$1" "$2" <<'PY'
import sys
print("name;email;result")
for i in range(int(sys.argv[1])):
    print(f"Иван Петров {i};learner-{sys.argv[2]}-{i}@example.eu;{60 + i % 40}")
PY
}

# bench_award_lua ACHIEVEMENT TAG: writes award-TAG.lua, a wrk script that awards to a new learner each request
# (NOTIFY=false: without the learner's e-mail, to measure the award path alone).
bench_award_lua() {
  local notify=""
  if [ -n "${NOTIFY:-}" ]; then notify=",\"notify\":$NOTIFY"; fi
  cat > "award-$2.lua" <<LUA
local counter, thread_id = 0, 0
setup = function(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
request = function()
  counter = counter + 1
  local body = string.format('{"achievement_id":"$1","recipient":{"name":"Иван Петров","email":"$2-%d-%d@example.eu"}$notify}', id, counter)
  return wrk.format("POST", "/api/v1/credentials", {["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json"}, body)
end
LUA
}

# wrk_summary: reads wrk --latency output, prints "p50 …, p99 …, N req/s, E errors".
wrk_summary() {
  awk '/ 50%/{p50=$2} / 99%/{p99=$2} /Requests\/sec/{rps=$2}
    /Non-2xx/{e+=$NF} /Socket errors/{for (i=4;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) e+=$i}
    END {printf "p50 %s, p99 %s, %s req/s, %d errors", p50, p99, rps, e}'
}

# millis: milliseconds since the epoch.
millis() { date +%s%3N; }
