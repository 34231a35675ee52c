#!/usr/bin/env bash
# "Add to wallet": the OpenID4VCI round trip (offer → token → nonce → credential, the credential re-signed for
# the holder's key) against a warm release server on SQLite (or PostgreSQL with DATABASE_URL=postgres://…),
# timed per step by scripts/bench-wallet.mjs (Node, one connection, one request at a time).
# Usage: scripts/bench-wallet.sh [ROUNDS]
set -euo pipefail
rounds="${1:-300}"
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$(dirname "$0")/lib.sh"
base=http://127.0.0.1:18097
bench_issuer "$base"
bench_serve 18097
achievement=$(bench_achievement "$base")
credential=$(curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"achievement_id\":\"$achievement\",\"notify\":false,\"recipient\":{\"name\":\"Ελένη Γεωργίου\",\"email\":\"eleni@example.gr\"}}" \
  "$base/api/v1/credentials" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
node "$root/scripts/bench-wallet.mjs" "$base" "$token" "$credential" "$rounds"
