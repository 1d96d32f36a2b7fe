#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (cmake/fuzz.cmake) for SECONDS each, from
# its committed seed corpus, and prints executions and crashes per target.
#   scripts/run_fuzz.sh BUILD_DIR [SECONDS] [TARGET...]     (default 60 s, every target)
# The working corpus grows in BUILD_DIR/corpus/<target> (not in git); a crashing input is
# written to BUILD_DIR/crashes/<target>-crash-<sha1> and its log to BUILD_DIR/logs/.
# Exits non-zero when a target crashed, leaked, timed out or failed a FUZZ_CHECK.
# FUZZ_RUNS=N stops each target after N executions instead (SECONDS is then a cap).
# FUZZ_TIMEOUT=S: seconds one input may take (10); raise it on a loaded machine, where a
# starved process can pass for a slow input.
# FUZZ_SMOKE=1 (make test) starts each target from its seeds only, in a scratch corpus,
# so the run takes the same time however much `make fuzz` has grown the working corpus.
set -uo pipefail
BUILD_DIR=${1:?usage: run_fuzz.sh BUILD_DIR [SECONDS] [TARGET...]}
SECONDS_EACH=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEEDS="$ROOT/tests/fuzz/corpus"

if (($#)); then
  targets=("$@")
else
  mapfile -t targets < <(find "$BUILD_DIR/bin" -maxdepth 1 -name 'fuzz_*' -type f -executable -printf '%f\n' |
                         sed 's/^fuzz_//' | sort)
fi
if ((${#targets[@]} == 0)); then
  echo "run_fuzz: no fuzz targets in $BUILD_DIR/bin (run make fuzz-build)" >&2
  exit 2
fi

mkdir -p "$BUILD_DIR/corpus" "$BUILD_DIR/crashes" "$BUILD_DIR/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
printf '%-16s %12s %9s %7s  %s\n' target execs "exec/s" corpus result
for t in "${targets[@]}"; do
  bin="$BUILD_DIR/bin/fuzz_$t"
  if [ ! -x "$bin" ]; then
    printf '%-16s %12s %9s %7s  %s\n' "$t" - - - "no such target"
    failed+=("$t")
    continue
  fi
  work="$BUILD_DIR/corpus/$t"
  if [ -n "${FUZZ_SMOKE:-}" ]; then
    work="$BUILD_DIR/smoke/$t"
    rm -rf "$work"
  fi
  mkdir -p "$work"
  args=(-max_total_time="$SECONDS_EACH" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$BUILD_DIR/crashes/$t-")
  [ -f "$ROOT/tests/fuzz/$t.dict" ] && args+=(-dict="$ROOT/tests/fuzz/$t.dict")
  [ -n "${FUZZ_RUNS:-}" ] && args+=(-runs="$FUZZ_RUNS")
  seeds=()
  [ -d "$SEEDS/$t" ] && seeds=("$SEEDS/$t")
  log="$BUILD_DIR/logs/$t.log"
  "$bin" "${args[@]}" "$work" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  units=$(find "$work" -type f | wc -l)
  if ((rc == 0)); then
    result=ok
  else
    result="CRASH (exit $rc): $(grep -m1 -E 'ERROR: |FUZZ_CHECK failed|runtime error|terminate called' "$log" ||
                               echo "see $log")"
    failed+=("$t")
  fi
  printf '%-16s %12s %9s %7s  %s\n' "$t" "${execs:--}" "${rate:--}" "$units" "$result"
done

if ((${#failed[@]})); then
  echo "run_fuzz: ${#failed[@]} target(s) failed: ${failed[*]}; inputs in $BUILD_DIR/crashes, logs in $BUILD_DIR/logs" >&2
  exit 1
fi
