#!/usr/bin/env bash
# PDF certificates over HTTP: 1,000 awards (a CSV batch), then wrk fetching random ones' PDFs
# (GET /credentials/{id}.pdf) on 2 connections for 15 s after a 5 s warm-up, against a release server on SQLite.
# With PERF=1, `perf record` (cpu-clock, DWARF call graphs) samples the server during the measured run into
# perf-pdf.data in the current folder: `perf report -i perf-pdf.data --no-children --sort symbol`.
# Then, unless CHROMIUM=0, the reference: warm headless Chromium printing the same credentials' HTML pages to PDF,
# two tabs for 15 s (benches/reference/chromium-pdf.mjs; needs chromium and `npm ci --prefix tests/browser`).
# Usage: scripts/bench-pdf.sh
set -euo pipefail
out="$PWD"
source "$(dirname "$0")/lib.sh"
base=http://127.0.0.1:18099
bench_issuer "$base"
bench_serve 18099
achievement=$(bench_achievement "$base")
bench_csv 1000 pdf > batch.csv
curl -sf -H "Authorization: Bearer $token" -H 'content-type: text/csv' --data-binary @batch.csv \
  "$base/api/v1/credentials/batch?achievement_id=$achievement&notify=false" > batch.json
python3 - <<'PY' > pdf.lua
import json
ids = [r["id"] for r in json.load(open("batch.json"))["rows"] if r.get("id")]
print("local ids = {" + ",".join('"%s"' % i for i in ids) + "}")
print("math.randomseed(7)")
print('request = function() return wrk.format("GET", "/credentials/" .. ids[math.random(#ids)] .. ".pdf") end')
PY
wrk -t2 -c2 -d5s -s pdf.lua "$base" > /dev/null
if [ "${PERF:-}" = 1 ]; then
  perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "${pids[-1]}" -o "$out/perf-pdf.data" -- sleep 12 2>/dev/null &
  perf_pid=$!
fi
echo "PDFs over HTTP: $(wrk -t2 -c2 -d15s --latency -s pdf.lua "$base" | wrk_summary)"
if [ "${PERF:-}" = 1 ]; then wait "$perf_pid" || echo "perf record failed (is perf installed and allowed?)" >&2; fi
first=$(python3 -c 'import json; print(json.load(open("batch.json"))["rows"][0]["id"])')
echo "one PDF: $(curl -s "$base/credentials/$first.pdf" | wc -c) bytes"
if [ "${CHROMIUM:-1}" != 0 ]; then
  python3 -c 'import json; print("\n".join(r["id"] for r in json.load(open("batch.json"))["rows"] if r.get("id")))' > ids.txt
  echo "Chromium, warm, 2 tabs: $(BASE="$base" IDS="$PWD/ids.txt" SECONDS=15 node "$repo/benches/reference/chromium-pdf.mjs")"
fi
