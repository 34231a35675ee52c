#!/usr/bin/env bash
# Fuzz one target for a while, starting from the committed corpus, and report coverage over time.
#
#   scripts/fuzz.sh TARGET [SECONDS]      e.g. scripts/fuzz.sh pdf 3600
#
# New inputs go to target/fuzz-new/TARGET (the committed corpus is only read); the timestamped log to
# target/fuzz-new/TARGET.log; crashes to fuzz/artifacts/TARGET. The summary gives libFuzzer's `cov` (edges) at a
# tenth, half and all of the run, and the gain over the last half, which is how BENCHMARKS.md judges stability.
# Builds with the default (stable) toolchain and RUSTC_BOOTSTRAP=1, which lets it take the few -Z flags cargo fuzz
# passes (as CI does, so no nightly is needed); FUZZ_TOOLCHAIN=nightly uses nightly instead. Do not pause a run
# (SIGSTOP): libFuzzer's -timeout counts wall-clock time and would report the pause as a hang; run it under nice.
# scripts/fuzz-merge.sh TARGET then adds the run's new coverage to the committed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1
seconds=${2:-600}
toolchain=()
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then toolchain=("+$FUZZ_TOOLCHAIN"); fi
[ "${FUZZ_TOOLCHAIN:-}" = nightly ] || export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
new="target/fuzz-new/$target"
log="$new.log"
mkdir -p "$new"
dict=()
[ -f "fuzz/dict/$target.dict" ] && dict=("-dict=fuzz/dict/$target.dict")
cargo "${toolchain[@]}" fuzz run --sanitizer none "$target" "$new" "fuzz/corpus/$target" -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" 2>&1 |
  perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.0f %s", time(), $_' >"$log" || status=$?
# Coverage over time: the first line with cov after 10 %, 50 % and 100 % of the run.
awk -v total="$seconds" '
  / cov: / { t = $1; if (!start) start = t; for (i = 1; i <= NF; i++) if ($i == "cov:") cov = $(i + 1);
             for (i = 1; i <= NF; i++) if ($i ~ /^#[0-9]+$/) runs = substr($i, 2)
             if (!c10 && t - start >= total / 10) c10 = cov; if (!c50 && t - start >= total / 2) c50 = cov }
  END { if (!c10) c10 = cov; if (!c50) c50 = cov
        printf "'"$target"': %s runs, cov %s / %s / %s at 10/50/100 %%, last half +%.2f %%\n", runs, c10, c50, cov, 100 * (cov - c50) / c50 }
' "$log"
grep -E "^[0-9]+ (==[0-9]+== ERROR|SUMMARY|artifact_prefix|Test unit written)" "$log" || true
exit "${status:-0}"
