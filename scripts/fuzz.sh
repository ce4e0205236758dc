#!/usr/bin/env bash
# Fuzzes the parsers that read untrusted bytes with libFuzzer, each for a bounded time from its committed seeds.
#   scripts/fuzz.sh [SECONDS-PER-TARGET] [TARGET...]     (default: 15 seconds, every target)
# flotilla-fuzz is built with -sanitize=fuzzer in a build path of its own (.build/fuzz), so the ordinary build is
# untouched. New inputs libFuzzer finds go to a temporary directory, never into the committed corpus. A crash, a
# timeout or running out of memory stops the run: the input is copied to Fuzz/crashes/TARGET/, where
# FuzzCorpusTests replays it from then on, and the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(agent-api-bodies pem yaml-config agent-policy http-response)

echo "Building flotilla-fuzz with libFuzzer (.build/fuzz)..."
mkdir -p .build
if ! swift build --build-path .build/fuzz --product flotilla-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DFLOTILLA_FUZZ \
    > .build/fuzz-build.log 2>&1; then
  grep -E "error:" .build/fuzz-build.log >&2 || tail -20 .build/fuzz-build.log >&2
  echo "flotilla-fuzz did not build (the whole log: .build/fuzz-build.log)" >&2
  exit 1
fi
binary=.build/fuzz/debug/flotilla-fuzz

# Swift's own crash reporter would catch the trap first and exit before libFuzzer saves the input.
export SWIFT_BACKTRACE=enable=no
work=$(mktemp -d -t flotilla-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0
for target in "${targets[@]}"; do
  mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
  cp Fuzz/corpus/"$target"/* "$work/$target/corpus/"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: one taking 2 GB is a memory bomb.
  if "$binary" run "$target" "$work/$target/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/$target/artifacts/" > "$work/$target/log" 2>&1; then
    runs=$(grep -Eo "stat::number_of_executed_units: *[0-9]+" "$work/$target/log" | grep -Eo "[0-9]+$" || echo "?")
    echo "fuzz $target: ${seconds} s, $runs inputs, no crash"
  else
    failed=1
    mkdir -p Fuzz/crashes/"$target"
    cp "$work/$target/artifacts/"* Fuzz/crashes/"$target"/ 2>/dev/null || true
    echo "fuzz $target: FAILED; the input is in Fuzz/crashes/$target/ (replay: .build/debug/flotilla-fuzz replay $target FILE)" >&2
    grep -E "ERROR|Fatal error|SUMMARY|==[0-9]+==" "$work/$target/log" | head -20 >&2
  fi
done
exit $failed
