#!/usr/bin/env bash
# W3C VC-API throughput, microcred and a reference on Digital Bazaar's JavaScript libraries side by side, one after
# the other on the same machine, with the same wrk commands:
#   1. POST /credentials/issue: sign a credential eddsa-rdfc-2022 (microcred also gives it a
#      BitstringStatusListEntry and stores it; the reference, benches/reference/, only signs);
#   2. POST /credentials/verify: one such signed credential (microcred also checks its status list).
# The credential (CREDENTIAL=ob, the default): the Open Badges 3.0 credential another issuer signed
# (tests/fixtures/peer-signed/ob3-did-key-eddsa-rdfc-2022.json, about 2 KB, without its proof); CREDENTIAL=minimal:
# a five-line VCDM 2.0 credential. microcred runs on SQLite (or DATABASE_URL=postgres://…). REFERENCE=0 skips the
# reference. With PERF=1, `perf record` (cpu-clock, DWARF call graphs) samples microcred during each of its runs into
# perf-vcapi-issue.data and perf-vcapi-verify.data in the current folder. MICROCRED_BIN=path runs that binary instead
# of building one. Needs wrk and Node 20+. Usage: scripts/bench-vcapi.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
out="$PWD"
if [ -n "${MICROCRED_BIN:-}" ]; then MICROCRED_BIN="$(realpath "$MICROCRED_BIN")"; fi
cd "$(dirname "$0")/.."
root="$PWD"
seconds="${1:-15}"
connections="${2:-16}"
credential_kind="${CREDENTIAL:-ob}"
if [ -n "${MICROCRED_BIN:-}" ]; then
  bin="$MICROCRED_BIN"
else
  cargo build --release -q
  bin="$root/target/release/microcred"
fi
if [ "${REFERENCE:-1}" != 0 ] && [ ! -d benches/reference/node_modules ]; then
  npm ci --prefix benches/reference --no-audit --no-fund >/dev/null
fi
dir="$(mktemp -d)"
port=18093
ref_port=18094
pid=
ref_pid=
trap 'kill $pid $ref_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir"
db="${DATABASE_URL:-sqlite://$dir/bench.db}"
"$bin" migrate --database-url "$db" 2>/dev/null  # the commands below need the database
"$bin" issuer --database-url "$db" --public-url "http://127.0.0.1:$port" create --slug ucs --name "Universal Certification Solutions" --country BG >/dev/null 2>&1
token=$("$bin" api-key --database-url "$db" create --issuer ucs --role assessor --name bench 2>/dev/null)
"$bin" serve --database-url "$db" --public-url "http://127.0.0.1:$port" --bind "127.0.0.1:$port" --log-level warn \
  --rate-limit-per-second 0 2>server.log &
pid=$!
until curl -sf "localhost:$port/healthz" >/dev/null; do sleep 0.05; done
did=$(curl -sf -H "Authorization: Bearer $token" "localhost:$port/api/v1/issuers" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["did"])')

# issue.json for an issuer DID ($1).
write_issue_request() {
  python3 - "$1" "$credential_kind" "$root/tests/fixtures/peer-signed/ob3-did-key-eddsa-rdfc-2022.json" > issue.json <<'PY'
import json, sys
did, kind, fixture = sys.argv[1:4]
if kind == "ob":
    credential = json.load(open(fixture))
    del credential["proof"]
    credential["issuer"]["id"] = did
else:
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": did, "validFrom": "2026-01-15T09:30:00Z",
                  "credentialSubject": {"id": "did:example:learner", "name": "Γιώργος Παπαδόπουλος"}}
print(json.dumps({"credential": credential, "options": {}}, ensure_ascii=False))
PY
}

# verify.json: the credential issued by the server on port $1 ($2: bearer token, or empty).
write_verify_request() {
  curl -sf ${2:+-H "Authorization: Bearer $2"} -H 'content-type: application/json' --data-binary @issue.json \
    "localhost:$1/credentials/issue" \
    | python3 -c 'import json,sys; print(json.dumps({"verifiableCredential": json.load(sys.stdin)["verifiableCredential"]}, ensure_ascii=False))' > verify.json
  curl -sf -H 'content-type: application/json' --data-binary @verify.json "localhost:$1/credentials/verify" \
    | python3 -c 'import json,sys; r = json.load(sys.stdin); assert r["verified"], r'
}

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

# run NAME PORT PATH BODY TOKEN: one wrk run; prints wrk's output and appends "NAME requests/s" to rates.txt.
run() {
  echo "== $1: POST $3 ($connections connections, ${seconds}s, $credential_kind credential)"
  local perf_pid=
  if [ "${PERF:-}" = 1 ] && [ "$2" = "$port" ]; then
    perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$pid" -o "$out/perf-vcapi-${1#microcred-}.data" \
      -- sleep $((seconds > 4 ? seconds - 2 : seconds)) 2>/dev/null &
    perf_pid=$!
  fi
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s post.lua "http://127.0.0.1:$2$3" -- "$dir/$4" "$5" | tee wrk.txt
  if [ -n "$perf_pid" ]; then wait "$perf_pid" || echo "perf record failed (is perf installed and allowed?)" >&2; fi
  echo "$1 $(awk '/Requests\/sec/{print $2}' wrk.txt)" >> rates.txt
}

write_issue_request "$did"
write_verify_request "$port" "$token"
run "microcred-issue" "$port" /credentials/issue issue.json "$token"
run "microcred-verify" "$port" /credentials/verify verify.json ""
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

if [ "${REFERENCE:-1}" != 0 ]; then
  node "$root/benches/reference/server.mjs" "$ref_port" > reference.log 2>&1 &
  ref_pid=$!
  until curl -sf "localhost:$ref_port/healthz" >/dev/null; do
    kill -0 "$ref_pid" 2>/dev/null || { cat reference.log >&2; exit 1; }
    sleep 0.05
  done
  write_verify_request "$ref_port" ""  # the reference signs as its own did:key, whatever issuer the request names
  run "reference-issue" "$ref_port" /credentials/issue issue.json ""
  run "reference-verify" "$ref_port" /credentials/verify verify.json ""
  awk '{rate[$1] = $2} END {
    printf "summary (%s credential): issue %s vs %s requests/s (%.1fx), verify %s vs %s requests/s (%.1fx)\n", kind,
      rate["microcred-issue"], rate["reference-issue"], rate["microcred-issue"] / rate["reference-issue"],
      rate["microcred-verify"], rate["reference-verify"], rate["microcred-verify"] / rate["reference-verify"] }' \
    kind="$credential_kind" rates.txt
fi
