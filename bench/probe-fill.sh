#!/bin/bash
# docs/profile.md: tracked traffic (wrk -t1 -c64, 15 s, as make bench's
# "alone" runs) at one zone size, with each worker's minor page faults
# and the zone's lock holds over each run.  Ports 18081-18084 (make
# bench's: not while it runs).  Usage: bench/probe-fill.sh MODE N ROUNDS
#   MODE: req (filled by tracked requests, fill.lua) or state (the state
#   file build/bench/gen-N.state of bench/gen-state.py)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=$root/build/probe/run
module=${PROBE_MODULE:-$root/build/nginx/objs/ngx_http_session_module.so}
mode=$1 n=$2 rounds=${3:-3}
api=http://127.0.0.1:18084
rm -rf $prefix; mkdir -p $prefix/conf $prefix/logs $prefix/html/static
zone=$(( (n * 400 / 1048576) + 32 ))m
state=
if [ $mode = state ]; then
    install -d -o nobody -m 700 $prefix/state
    install -o nobody -m 600 $root/build/bench/gen-$n.state $prefix/state/s.state
    state=" state=$prefix/state/s.state"
    mkdir $prefix/state/s.state.tmp   # no saves meanwhile
fi
sed -e "s|@MODULE@|$module|g" -e "s|@PREFIX@|$prefix|g" -e "s|@ZONE_SIZE@|$zone|g" \
    -e "s|@FILL_VARS@||g" -e "s|@STATE@|$state|g" $root/bench/nginx.conf.in > $prefix/conf/nginx.conf
/usr/sbin/nginx -p $prefix -c conf/nginx.conf
trap 'kill -QUIT $(cat $prefix/nginx.pid)' EXIT
until curl -fs -o /dev/null $api/status; do sleep 0.2; done
open() { curl -fsS "$api/status?format=json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessions"]["open"])'; }
if [ $mode = req ]; then
    t0=$(date +%s)
    BENCH_FILL=$n BENCH_ACCOUNTS=$((n/10)) BENCH_THREADS=2 wrk -t2 -c32 -d900s -s $root/bench/fill.lua http://127.0.0.1:18081 >/dev/null &
    w=$!
    while [ "$(open)" -lt $((n - 4)) ]; do sleep 0.5; done
    kill $w; wait $w 2>/dev/null || true
    echo "filled $n in $(( $(date +%s) - t0 )) s"
fi
workers=$(pgrep -P $(cat $prefix/nginx.pid) | tr '\n' ' ')
minflt() { for p in $workers; do awk '{ printf "%s ", $10 }' /proc/$p/stat; done; }
holds() { curl -fsS "$api/status?format=json" | python3 -c '
import json,sys; l=json.load(sys.stdin)["lock"]; print(json.dumps(l["holds_by_length"]), l.get("max_hold_ns"))'; }
for r in $(seq $rounds); do
    f0=$(minflt); h0=$(holds)
    out=$(BENCH_LIVE=$n BENCH_PATH=/ wrk -t1 -c64 -d15s --latency -s $root/bench/traffic.lua http://127.0.0.1:18081 | sed -n 's/^BENCH //p')
    f1=$(minflt); h1=$(holds)
    echo "$mode $n round $r: $out minflt before [$f0] after [$f1] holds before $h0 after $h1"
done
