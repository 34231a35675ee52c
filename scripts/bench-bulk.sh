#!/usr/bin/env bash
# Bulk revocation: issues ROWS credentials (one CSV batch), then revokes them all in ONE bulk request
# (POST /api/v1/credentials/bulk with their ids), against a fresh release server on SQLite (or on PostgreSQL with
# DATABASE_URL=postgres://…, an empty database). Prints the bulk request's wall time, how many status lists it
# changed, and each list's ETag (its version) before and after, to show each list was republished once.
# Usage: scripts/bench-bulk.sh [ROWS]
set -euo pipefail
rows="${1:-10000}"
source "$(dirname "$0")/lib.sh"
port=18097
base="http://127.0.0.1:$port"
bench_issuer "$base"
bench_serve "$port"
achievement=$(bench_achievement "$base")
bench_csv "$rows" bulk > batch.csv
curl -sf -o batch.json -H "Authorization: Bearer $token" -H 'content-type: text/csv' --data-binary @batch.csv \
  "$base/api/v1/credentials/batch?achievement_id=$achievement&notify=false"
python3 - <<'PY' > ids.json
import json
batch = json.load(open("batch.json"))
ids = [r.get("id") for r in batch["rows"]]
assert all(ids), "every row issued"
print(json.dumps({"action": "revoke", "ids": ids, "note": "exam session annulled", "public_reason": "Exam session annulled"}))
PY
lists() {  # the revocation lists of a sample of the credentials (every 50th), with their ETags (id-version)
  python3 - "$base" <<'PY'
import json, sys, urllib.request
ids = json.load(open("ids.json"))["ids"]
urls = set()
for id in ids[::50]:
    with urllib.request.urlopen(f"{sys.argv[1]}/credentials/{id}.json") as response:
        status = json.load(response)["credentialStatus"]
        urls.add((status if isinstance(status, dict) else status[0])["statusListCredential"])
for url in sorted(urls):
    with urllib.request.urlopen(url) as response:
        print(response.headers["ETag"])
PY
}
before=$(lists)
start=$(date +%s%N)
status=$(curl -s -o bulk.json -w '%{http_code}' -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  --data-binary @ids.json "$base/api/v1/credentials/bulk")
end=$(date +%s%N)
after=$(lists)
python3 - "$status" "$(( (end - start) / 1000000 ))" <<'PY'
import json, sys
report = json.load(open("bulk.json"))
print(f"bulk revoke: HTTP {sys.argv[1]}, {report['changed']} credentials revoked in {sys.argv[2]} ms, "
      f"{report['status_lists']} status list(s) changed")
PY
echo "list ETags before: $(echo $before)"
echo "list ETags after:  $(echo $after)"
