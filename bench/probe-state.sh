#!/bin/bash
# docs/profile.md: N sessions from a state file (build/bench/gen-N.state,
# bench/gen-state.py), then tracked and untracked `return 200` alternated
# in 5 s runs, with the workers' CPU per request (/proc/PID/schedstat),
# minor faults and lock holds per run.  Ports 18081-18084 (make bench's:
# not while it runs).  Usage: bench/probe-state.sh N RUNS
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=$root/build/probe/run10
module=${PROBE_MODULE:-$root/build/nginx/objs/ngx_http_session_module.so}
n=${1:-10000000} runs=${2:-6}
api=http://127.0.0.1:18084
rm -rf $prefix; mkdir -p $prefix/conf $prefix/logs $prefix/html/static
zone=$(( (n * 215 / 1048576) + 32 ))m
install -d -o nobody -m 700 $prefix/state
install -o nobody -m 600 $root/build/bench/gen-$n.state $prefix/state/s.state
mkdir $prefix/state/s.state.tmp
sed -e "s|@MODULE@|$module|g" -e "s|@PREFIX@|$prefix|g" -e "s|@ZONE_SIZE@|$zone|g" \
    -e "s|@FILL_VARS@||g" -e "s|@STATE@| state=$prefix/state/s.state|g" $root/bench/nginx.conf.in > $prefix/conf/nginx.conf
t0=$(date +%s)
/usr/sbin/nginx -p $prefix -c conf/nginx.conf
echo "loaded in $(( $(date +%s) - t0 )) s"
trap 'kill -QUIT $(cat $prefix/nginx.pid)' EXIT
until curl -fs -o /dev/null $api/status; do sleep 0.2; done
workers=$(pgrep -P $(cat $prefix/nginx.pid) | tr '\n' ' ')
minflt() { s=0; for p in $workers; do s=$((s + $(awk '{ print $10 }' /proc/$p/stat))); done; echo $s; }
cpu() { s=0; for p in $workers; do read -r t _ < /proc/$p/schedstat; s=$((s + t)); done; echo $s; }
slow() { curl -fsS "$api/status?format=json" | python3 -c '
import json,sys; l=json.load(sys.stdin)["lock"]["holds_by_length"]; print(l["under_10ms"]+l["under_100ms"]+l["100ms_or_more"], l["under_100us"], l["under_1ms"])'; }
for r in $(seq $runs); do
    for port in 18081 18082; do
        f0=$(minflt); c0=$(cpu); s0=$(slow)
        out=$(BENCH_LIVE=$n BENCH_PATH=/ wrk -t1 -c64 -d5s --latency -s $root/bench/traffic.lua http://127.0.0.1:$port | sed -n 's/^BENCH //p')
        f1=$(minflt); c1=$(cpu); s1=$(slow)
        req=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
        echo "run $r port $port: $out faults $((f1 - f0)) cpu_us_per_req $(( (c1 - c0) / req / 1000 )) holds(>=1ms,10-100us,100us-1ms) before [$s0] after [$s1]"
    done
done
