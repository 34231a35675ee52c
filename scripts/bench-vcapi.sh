#!/usr/bin/env bash
# W3C VC-API throughput against a fresh release server on SQLite (or PostgreSQL with DATABASE_URL=postgres://…):
#   1. POST /credentials/issue: a VCDM 2.0 credential (no status of its own), signed eddsa-rdfc-2022 and given
#      a BitstringStatusListEntry, stored;
#   2. POST /credentials/verify: one such signed credential, proof and status checked on every request.
# Needs wrk (Debian package). Usage: scripts/bench-vcapi.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"
connections="${2:-16}"
cargo build --release -q
bin="$PWD/target/release/microcred"
dir="$(mktemp -d)"
port=18093
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir"
db="${DATABASE_URL:-sqlite://$dir/bench.db}"
"$bin" migrate --database-url "$db" 2>/dev/null  # the commands below need the database
"$bin" issuer --database-url "$db" --public-url "http://127.0.0.1:$port" create --slug ucs --name "Universal Certification Solutions" --country BG >/dev/null 2>&1
token=$("$bin" api-key --database-url "$db" create --issuer ucs --role assessor --name bench 2>/dev/null)
"$bin" serve --database-url "$db" --public-url "http://127.0.0.1:$port" --bind "127.0.0.1:$port" --log-level warn 2>server.log &
pid=$!
until curl -sf "localhost:$port/healthz" >/dev/null; do sleep 0.05; done
did=$(curl -sf -H "Authorization: Bearer $token" "localhost:$port/api/v1/issuers" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["did"])')
credential="{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":[\"VerifiableCredential\"],\"issuer\":\"$did\",\"validFrom\":\"2026-01-15T09:30:00Z\",\"credentialSubject\":{\"id\":\"did:example:learner\",\"name\":\"Γιώργος Παπαδόπουλος\"}}"
printf '{"credential":%s,"options":{}}' "$credential" > issue.json
curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' --data-binary @issue.json \
  "localhost:$port/credentials/issue" | python3 -c 'import json,sys; print(json.dumps({"verifiableCredential": json.load(sys.stdin)["verifiableCredential"]}))' > verify.json
cat > post.lua <<'LUA'
local body_file, auth = nil, nil
init = function(args)
  local f = assert(io.open(args[1], "rb")); body_file = f:read("*a"); f:close()
  auth = args[2]
end
request = function()
  local headers = {["Content-Type"] = "application/json"}
  if auth ~= nil and auth ~= "" then headers["Authorization"] = "Bearer " .. auth end
  return wrk.format("POST", nil, headers, body_file)
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx or errors: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
echo "== POST /credentials/issue ($connections connections, ${seconds}s)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s post.lua "http://127.0.0.1:$port/credentials/issue" -- "$dir/issue.json" "$token"
echo "== POST /credentials/verify ($connections connections, ${seconds}s)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s post.lua "http://127.0.0.1:$port/credentials/verify" -- "$dir/verify.json" ""
