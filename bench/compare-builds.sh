#!/bin/bash
# Two builds of the module side by side in one run: bench/run.sh against
# A.so and B.so in ABBA order (A B B A, then again for each further pair),
# so that the machine's drift over the run weighs on both builds alike.
# Each run's results.jsonl is kept apart; bench/compare-builds.py then
# gives, per metric, the median over the runs of each build and B/A.
#
# Independent of make: the bench harness is copied from this tree into a
# scratch directory (so run.sh's report goes there, not into docs/), and
# both builds run the very same harness.
#
# Usage: bench/compare-builds.sh A.so B.so [OUT_DIR]
# Knobs: COMPARE_GROUPS (1: A B B A; 2: twice), COMPARE_DEADLINE (epoch
#        seconds: no run starts that would likely end after it; the runs
#        stop at a whole ABBA group), and every BENCH_* knob of run.sh.
#        Loopback ports 18081-18084 must be free (run.sh's nginx.conf).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
a=$(readlink -f "${1:?usage: bench/compare-builds.sh A.so B.so [OUT_DIR]}")
b=$(readlink -f "${2:?usage: bench/compare-builds.sh A.so B.so [OUT_DIR]}")
out=${3:-$root/build/compare}
groups=${COMPARE_GROUPS:-1}
deadline=${COMPARE_DEADLINE:-}

log() {
    echo "compare: $*" >&2
}

ports_busy() {
    ss -Hltn | awk '{ print $4 }' | grep -Eq ':1808[1-4]$'
}

for so in "$a" "$b"; do
    [ -f "$so" ] || { log "no module $so"; exit 1; }
done

mkdir -p "$out"
rm -f "$out"/run-*.jsonl "$out"/loadavg.log
scratch=$(mktemp -d)
mkdir -p "$scratch/docs"
cp -a "$root/bench" "$scratch/bench"

# the load average every 10 s, for the whole comparison
( while :; do echo "$(date -u +%H:%M:%S) $(cat /proc/loadavg)"; sleep 10; done ) \
    > "$out/loadavg.log" &
sampler=$!
trap 'kill $sampler 2>/dev/null || true; rm -rf "$scratch"' EXIT

{
    echo "A $a $(sha256sum "$a" | cut -c1-16)"
    echo "B $b $(sha256sum "$b" | cut -c1-16)"
    echo "nproc $(nproc)"
    echo "cpu $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "started $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    env | grep -E '^(BENCH|COMPARE)_' | sort
} > "$out/builds.txt"

order=
for _ in $(seq "$groups"); do
    order="$order A B B A"
done

i=0
longest=0
for side in $order; do
    now=$(date +%s)
    # stop only at the end of a whole A B B A group
    if [ -n "$deadline" ] && [ $((i % 4)) = 0 ] && [ $i -gt 0 ] \
       && [ $((now + 4 * longest)) -gt "$deadline" ]
    then
        log "stopping after $i runs: 4 more would pass the deadline"
        break
    fi

    for _ in $(seq 60); do
        ports_busy || break
        log "ports 18081-18084 busy, waiting"
        sleep 5
    done
    if ports_busy; then
        log "ports 18081-18084 still busy"; exit 1
    fi

    i=$((i + 1))
    if [ $side = A ]; then so=$a; else so=$b; fi
    log "run $i: build $side ($so), load $(cut -d' ' -f1-3 /proc/loadavg)"
    start=$(date +%s)
    "$scratch/bench/run.sh" "$so"
    end=$(date +%s)
    [ $((end - start)) -gt $longest ] && longest=$((end - start))

    cp "$scratch/build/bench/results.jsonl" "$out/run-$i-$side.jsonl"
    echo "run $i $side $(date -u -d @$start +%H:%M:%S)-$(date -u -d @$end +%H:%M:%S) load-end $(cut -d' ' -f1-3 /proc/loadavg)" \
        >> "$out/builds.txt"
done

echo "ended $(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$out/builds.txt"
python3 "$here/compare-builds.py" "$out"
