#!/usr/bin/env bash
# Builds the benchmarks jar and runs the publishable suite: the JMH benchmarks (admit round trip,
# reject path, executor, rate limiter, circuit breaker) with -prof gc at 1 and 2 threads (and at
# all cores when there are more than two), then the macro benchmark. Writes the JMH JSON per
# thread count, macro.md and RESULTS.md (machine, JDK, date, commit, tables) to
# benchmarks/results/. About 25 minutes on 2 cores; run it on a quiet machine.
#
#   benchmarks/run.sh           the full run, into benchmarks/results/ (commit what it writes)
#   benchmarks/run.sh --quick   a 1-2 minute check of the pipeline, into
#                               benchmarks/target/quick-results/ (figures not for publishing)
#
# SLUICE_BENCH_OUT overrides the output directory.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=()
out=benchmarks/results
case "${1:-}" in
  "") ;;
  --quick) mode=(--quick); out=benchmarks/target/quick-results ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
out="${SLUICE_BENCH_OUT:-$out}"
# The commit measured; "-dirty" when the code differs from it (the results directory, which every
# run rewrites, does not count).
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "$commit" != unknown ] && ! git diff --quiet HEAD -- . ':(exclude)benchmarks/results' 2>/dev/null; then
  commit="$commit-dirty"
fi

mvn -B -q -pl benchmarks -am package -DskipTests
java -cp benchmarks/target/benchmarks.jar io.sluice.benchmarks.BenchmarkSuite \
  "${mode[@]}" --out "$out" --commit "$commit"
