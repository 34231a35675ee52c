#!/usr/bin/env bash
# Single-award throughput: POST /api/v1/credentials from 16 concurrent connections for 20 s against a fresh
# release server on SQLite (or PostgreSQL with DATABASE_URL=postgres://…), each request a new learner.
# Needs wrk (Debian package). Usage: scripts/bench-awards.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
connections="${2:-16}"
cargo build --release -q
bin="$PWD/target/release/microcred"
dir="$(mktemp -d)"
port=18091
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir"
db="${DATABASE_URL:-sqlite://$dir/bench.db}"
"$bin" --database-url "$db" issuer create --slug ucs --name "Universal Certification Solutions" --country BG >/dev/null 2>&1
token=$("$bin" --database-url "$db" api-key create --issuer ucs --role assessor --name bench 2>/dev/null)
"$bin" --database-url "$db" --bind "127.0.0.1:$port" --log-level warn serve 2>server.log &
pid=$!
until curl -sf "localhost:$port/healthz" >/dev/null; do sleep 0.05; done
achievement=$(curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"Smart city basics","description":"Basics","criteria":"Pass the exam","achievement_type":"MicroCredential","learning_outcomes":["Explain urban data platforms"],"ects":5,"assessment_type":"Online exam","participation":"online","quality_assurance":"ISO 21001"}' \
  "localhost:$port/api/v1/achievements" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
cat > award.lua <<LUA
local counter = 0
local thread_id = 0
setup = function(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
request = function()
  counter = counter + 1
  local body = string.format('{"achievement_id":"$achievement","recipient":{"name":"Иван Петров","email":"l%d-%d@example.eu"}}', id, counter)
  return wrk.format("POST", "/api/v1/credentials", {["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx or errors: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s award.lua "http://127.0.0.1:$port"
