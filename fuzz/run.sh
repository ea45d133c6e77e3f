#!/bin/bash
# Builds and runs every libFuzzer harness for SECONDS each (default 60)
# and fails when any of them finds a crash, a sanitizer report, a leak,
# a failed check or a timeout.  make fuzz runs it for 60 s a harness,
# make fuzz-ci for 20 s.
#
# Usage: fuzz/run.sh [SECONDS] [NAME ...]      (default: every harness)
#
# Findings land in build/fuzz/NAME/ (crash-*, leak-*, timeout-*); replay
# one with fuzz/bin/NAME FILE.  Each harness's corpus, fuzz/corpus-NAME/,
# starts from fuzz/seeds.sh and keeps what the runs found.

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz=$root/fuzz
out=$root/build/fuzz

secs=${1:-60}
shift || true

case $secs in
    ''|*[!0-9]*) echo "usage: fuzz/run.sh [SECONDS] [NAME ...]" >&2; exit 2 ;;
esac

"$root/util/build-asan.sh"
"$fuzz/build.sh" "$@"
"$fuzz/seeds.sh" "$@"

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for f in "$fuzz"/fuzz_*.c; do
        n=$(basename "$f" .c)
        n=${n#fuzz_}
        [ "$n" = common ] || names+=("$n")
    done
fi

# any UBSan report is a crash; nginx core's known ones stay out
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$root/util/ubsan.supp}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

summary=$out/summary.txt
mkdir -p "$out"
printf '%-10s %6s %12s %9s %6s %7s %7s  %s\n' harness seconds executions \
       'exec/s' cov features corpus result >"$summary"

failed=0

for n in "${names[@]}"; do
    dir=$out/$n
    mkdir -p "$dir" "$fuzz/corpus-$n"
    log=$dir/fuzz.log

    dict=()
    if [ -f "$fuzz/dict/$n.dict" ]; then
        dict=(-dict="$fuzz/dict/$n.dict")
    fi

    echo "fuzz: $n for ${secs}s (log: build/fuzz/$n/fuzz.log)"

    rc=0
    "$fuzz/bin/$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=16384 -print_final_stats=1 -artifact_prefix="$dir/" \
        "${dict[@]}" "$fuzz/corpus-$n" >"$log" 2>&1 || rc=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    corpus=$(ls "$fuzz/corpus-$n" | wc -l)

    if [ $rc -eq 0 ]; then
        result=ok
    else
        result="FAIL (exit $rc)"
        failed=1
        echo "fuzz: $n FAILED:"
        grep -E 'ERROR|fuzz check failed|runtime error|SUMMARY|^    #[0-9]+ ' \
             "$log" | head -40
        for a in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* \
                 "$dir"/oom-*; do
            [ -e "$a" ] && echo "fuzz: reproduce: fuzz/bin/$n ${a#$root/}"
        done
    fi

    printf '%-10s %6s %12s %9s %6s %7s %7s  %s\n' "$n" "$secs" \
           "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus" \
           "$result" | tee -a "$summary"
done

echo
cat "$summary"

if [ $failed -ne 0 ]; then
    echo "fuzz: FAIL: findings in build/fuzz/*/"
    exit 1
fi

echo "fuzz: PASS: ${#names[@]} harness(es), ${secs}s each, no crash, leak or report"
