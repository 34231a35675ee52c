#!/usr/bin/env bash
# Adds to the committed corpus (fuzz/corpus/TARGET) the inputs of a long run (target/fuzz-new/TARGET, where
# scripts/fuzz.sh keeps them) that reach code the corpus does not. libFuzzer's merge by edges alone
# (-use_counters=0, not hit counts) keeps every edge the run found with few files, so the repository stays small
# and the next run starts where this one ended. Nothing is removed: inputs that once found a bug stay.
# Usage: scripts/fuzz-merge.sh TARGET
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1
toolchain=()
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then toolchain=("+$FUZZ_TOOLCHAIN"); fi
[ "${FUZZ_TOOLCHAIN:-}" = nightly ] || export RUSTC_BOOTSTRAP=1
corpus="fuzz/corpus/$target"
before=$(find "$corpus" -type f | wc -l)
cargo "${toolchain[@]}" fuzz run --sanitizer none "$target" "$corpus" "target/fuzz-new/$target" -- \
  -merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 2>&1 | grep -E "MERGE-OUTER: [0-9]+ new files" || true
after=$(find "$corpus" -type f | wc -l)
echo "$target: $before -> $after inputs ($(du -sb "$corpus" | cut -f1) bytes)"
