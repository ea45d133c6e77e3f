#!/bin/bash
# The benchmark (make bench): fills a zone through tracked requests, then
# measures, side by side in one nginx, what the bars of design.md ask:
#
#   - tracking overhead: the same requests to a tracked and an untracked
#     server, alternated, several rounds, medians and their ratio;
#   - zone memory per session, from the zone's own accounting;
#   - full dumps of every listing form, timed, with the zone lock holds
#     they caused (the lock-hold histogram of the status endpoint);
#   - tracked traffic while dumps run back to back, against the same
#     traffic without dumps, alternated.
#
# Loopback only; every load run is bounded in time and stops by itself.
# Results go to build/bench/results.jsonl; bench/report.py writes
# docs/benchmarks.md and docs/benchmarks.png from them.
#
# Usage: bench/run.sh MODULE.so
# Knobs: BENCH_SIZES ("100000 1000000"), BENCH_ROUNDS (5),
#        BENCH_DURATION (10 s), BENCH_CONNECTIONS (64), BENCH_THREADS (1),
#        BENCH_VARS (0; 1 gives every session two variables),
#        BENCH_OVERHEAD_SIZES (sizes the overhead runs at: "100000").

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
module=$(readlink -f "${1:?usage: bench/run.sh MODULE.so}")
prefix=$root/build/bench
nginx=${NGINX_BIN:-/usr/sbin/nginx}

sizes=${BENCH_SIZES:-"100000 1000000"}
overhead_sizes=${BENCH_OVERHEAD_SIZES:-"100000"}
rounds=${BENCH_ROUNDS:-5}
duration=${BENCH_DURATION:-10}
conns=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-1}
with_vars=${BENCH_VARS:-0}
per_account=10

results=$prefix/results.jsonl
tracked=http://127.0.0.1:18081
untracked=http://127.0.0.1:18082
api=http://127.0.0.1:18084

log() {
    echo "bench: $*" >&2
}

record() {
    echo "$1" >> "$results"
}

stop_nginx() {
    if [ -f "$prefix/nginx.pid" ]; then
        kill -QUIT "$(cat "$prefix/nginx.pid")" 2>/dev/null || true
        for _ in $(seq 50); do
            [ -f "$prefix/nginx.pid" ] || break
            sleep 0.1
        done
    fi
}

start_nginx() {
    local zone=$1 vars=

    if [ "$with_vars" = 1 ]; then
        vars='session_var host bench.example.com; session_var consoleType 19;'
    fi

    rm -rf "$prefix/conf" "$prefix/logs"
    mkdir -p "$prefix/conf" "$prefix/logs"
    sed -e "s|@MODULE@|$module|g" -e "s|@PREFIX@|$prefix|g" \
        -e "s|@ZONE_SIZE@|$zone|g" -e "s|@FILL_VARS@|$vars|g" \
        "$root/bench/nginx.conf.in" > "$prefix/conf/nginx.conf"

    "$nginx" -p "$prefix" -c conf/nginx.conf
    for _ in $(seq 50); do
        curl -fs -o /dev/null "$api/status" && return 0
        sleep 0.1
    done
    log "nginx did not start:"; tail "$prefix/logs/error.log" >&2
    exit 1
}

# the status JSON on one line, as results.jsonl holds it
status() {
    curl -fsS "$api/status?format=json" | tr -d '\n'
}

# one wrk run of tracked-style traffic; prints its BENCH json
traffic() {
    local url=$1 path=$2 live=$3

    BENCH_LIVE=$live BENCH_PATH=$path \
        wrk -t"$threads" -c"$conns" -d"${duration}s" --latency \
            -s "$root/bench/traffic.lua" "$url" \
        | sed -n 's/^BENCH //p'
}

open_sessions() {
    status | python3 -c 'import json, sys; print(json.load(sys.stdin)["sessions"]["open"])'
}

# wrk has no request count: the run ends when the zone holds the sessions
# (the figures use the zone's own count)
fill() {
    local n=$1 start end pid

    log "filling $n sessions over $((n / per_account)) accounts"
    start=$(date +%s.%N)
    BENCH_FILL=$n BENCH_ACCOUNTS=$((n / per_account)) BENCH_THREADS=2 \
        wrk -t2 -c32 -d900s -s "$root/bench/fill.lua" "$tracked" >/dev/null &
    pid=$!

    # wrk may drop a thread's very first request: allow for that
    while [ "$(open_sessions)" -lt "$((n - 4))" ]; do
        if ! kill -0 $pid 2>/dev/null; then
            log "wrk ended at $(open_sessions) sessions"
            exit 1
        fi
        sleep 0.2
    done

    end=$(date +%s.%N)
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true

    record "{\"kind\":\"fill\",\"n\":$n,\"seconds\":$(awk "BEGIN { print $end - $start }"),\"status\":$(status)}"
}


overhead() {
    local n=$1 r path first second json

    for r in $(seq "$rounds"); do
        for path in / /proxied; do
            # ABBA: neither server always goes first
            if [ $((r % 2)) = 1 ]; then
                first=tracked; second=untracked
            else
                first=untracked; second=tracked
            fi

            for server in $first $second; do
                if [ $server = tracked ]; then url=$tracked; else url=$untracked; fi
                json=$(traffic "$url" "$path" "$n")
                record "{\"kind\":\"overhead\",\"n\":$n,\"round\":$r,\"path\":\"$path\",\"server\":\"$server\",\"wrk\":$json}"
                log "overhead n=$n round $r $path $server: $json"
            done
        done
    done
}

# a dump form: its URL and headers
dump_url() {
    case $1 in
        zimbra-xml) echo "$api/dump?listSessions=1" ;;
        zimbra-grouped) echo "$api/dump?listSessions=1&groupByAccount=1" ;;
        zimbra-json) echo "$api/dump?listSessions=1&groupByAccount=1" ;;
        zimbra-counts) echo "$api/dump" ;;
        commvault-user) echo "$api/Session?userId=u1" ;;
    esac
}

dump_accept() {
    case $1 in
        zimbra-json) echo "Accept: application/json" ;;
        *) echo "Accept: application/xml" ;;
    esac
}

dumps() {
    local n=$1 form r before after out

    for form in zimbra-xml zimbra-grouped zimbra-json zimbra-counts \
                commvault-user status-list
    do
        for r in $(seq "$rounds"); do
            before=$(status)

            if [ $form = status-list ]; then
                out=$(python3 "$root/bench/walk.py" "$api/status")
            else
                out=$(curl -sS -o /dev/null -H "$(dump_accept $form)" \
                      -w '{"seconds":%{time_total},"bytes":%{size_download},"http":%{http_code}}' \
                      "$(dump_url $form)")
            fi

            after=$(status)
            record "{\"kind\":\"dump\",\"n\":$n,\"form\":\"$form\",\"round\":$r,\"result\":$out,\"before\":$before,\"after\":$after}"
            log "dump n=$n $form round $r: $out"
        done
    done
}

# tracked traffic alone, and with dumps back to back, alternated
under_dumps() {
    local n=$1 r mode json loop before after count times

    for r in $(seq "$rounds"); do
        if [ $((r % 2)) = 1 ]; then set -- quiet dumping; else set -- dumping quiet; fi

        for mode in "$@"; do
            before=$(status)
            count=0
            times=

            if [ $mode = dumping ]; then
                # in a process group of its own, to be stopped whole
                setsid bash -c '
                    end=$(( $(date +%s) + $1 + 1 ))
                    while [ "$(date +%s)" -lt $end ]; do
                        curl -s -o /dev/null -w "%{time_total}\n" "$2"
                    done' bench "$duration" "$api/dump?listSessions=1" \
                    > "$prefix/dumps.times" &
                loop=$!
            fi

            json=$(traffic "$tracked" / "$n")

            if [ $mode = dumping ]; then
                # the dump in flight too, or it would run into the next run
                kill -TERM -- -$loop 2>/dev/null || true
                wait $loop 2>/dev/null || true
                # the dump cut short by the end of the run is not counted
                count=$(wc -l < "$prefix/dumps.times")
                times=$(head -n "$count" "$prefix/dumps.times" | paste -sd, -)
            fi

            after=$(status)
            record "{\"kind\":\"under_dumps\",\"n\":$n,\"round\":$r,\"mode\":\"$mode\",\"dumps\":$count,\"dump_seconds\":[$times],\"wrk\":$json,\"before\":$before,\"after\":$after}"
            log "traffic n=$n round $r $mode (dumps: $count): $json"
        done
    done
}

machine() {
    printf '{"cpu":"%s","cores":%s,"memory_gb":%s,"kernel":"%s","nginx":"%s","wrk":"%s","date":"%s"}' \
        "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
        "$(nproc)" \
        "$(free -g | awk '/^Mem:/ { print $2 }')" \
        "$(uname -r)" \
        "$("$nginx" -v 2>&1 | sed 's/.*: //')" \
        "$(wrk --version 2>&1 | head -1 | awk '{ print $2 }')" \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

mkdir -p "$prefix"
: > "$results"
trap stop_nginx EXIT

cmd="make bench"
for v in BENCH_SIZES BENCH_OVERHEAD_SIZES BENCH_ROUNDS BENCH_DURATION \
         BENCH_CONNECTIONS BENCH_THREADS BENCH_VARS
do
    eval "val=\${$v:-}"
    [ -z "$val" ] || cmd="$v=\"$val\" $cmd"
done

record "{\"kind\":\"run\",\"command\":\"$(echo "$cmd" | sed 's/"/\\"/g')\",\"machine\":$(machine),\"rounds\":$rounds,\"duration\":$duration,\"connections\":$conns,\"threads\":$threads,\"vars\":$with_vars,\"per_account\":$per_account}"

for n in $sizes; do
    # about 3x what a session needs, and room for the accounts
    zone=$(( (n * 400 / 1048576) + 32 ))m

    log "zone of $zone for $n sessions"
    stop_nginx
    start_nginx "$zone"
    record "{\"kind\":\"empty\",\"n\":$n,\"status\":$(status)}"
    fill "$n"

    for o in $overhead_sizes; do
        [ "$o" = "$n" ] && overhead "$n"
    done

    dumps "$n"
    under_dumps "$n"
done

stop_nginx
trap - EXIT

python3 "$root/bench/report.py" "$results" "$root/docs"
log "wrote docs/benchmarks.md and docs/benchmarks.png"
