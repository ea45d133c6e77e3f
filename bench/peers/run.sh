#!/bin/bash
# The Lua peer side by side with the module (issue 12, item 6): one nginx
# (Debian's, 2 workers) loads both ngx_http_session_module and Debian's
# libnginx-mod-http-lua, and serves the same locations untracked, tracked
# by the module and tracked by bench/peers/session.lua (lua_shared_dict).
# At each size it fills both to N sessions through real requests (10 per
# account), then measures side by side, alternating the sides in rounds
# (ABBA: the order reverses every other round) and keeping every round's
# figures, so that the report takes medians of per-round ratios:
#
#   - throughput and p99 of tracked traffic against untracked, for `/`
#     (return 200) and `/proxied` (an upstream on loopback);
#   - bytes per session: the module's memory.used / sessions, the Lua
#     dict's capacity - free_space / sessions, and the sizes configured;
#   - dump time idle: the module's JSON listing against the Lua JSON
#     dump, the whole body read by curl;
#   - tracked traffic while dumps of the same side run back to back,
#     against the same traffic alone.
#
# Loopback only (ports 18181-18186), every load run bounded in time; it
# stops its own nginx by its pid.  Results: build/bench/peers.jsonl
# (bench/peers/report.py turns them into a markdown section).
#
# Usage: bench/peers/run.sh MODULE.so [SIZES]      (SIZES: "100000 1000000")
# Knobs: PEERS_ROUNDS (6: overhead rounds), PEERS_DURATION (5 s),
#        PEERS_DUMP_ROUNDS (5), PEERS_UNDER_ROUNDS (4),
#        PEERS_UNDER_DURATION (10 s), PEERS_CONNECTIONS (64),
#        PEERS_THREADS (1), PEERS_QUICK=1 (a smoke run: 10000 sessions,
#        2 rounds of 2 s, unless set otherwise).

set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
module=$(readlink -f "${1:?usage: bench/peers/run.sh MODULE.so [SIZES]}")
prefix=$root/build/bench/peers
results=$root/build/bench/peers.jsonl
nginx=${NGINX_BIN:-/usr/sbin/nginx}

quick=${PEERS_QUICK:-0}
if [ "$quick" = 1 ]; then
    sizes=${2:-10000}
    rounds=${PEERS_ROUNDS:-2}
    duration=${PEERS_DURATION:-2}
    dump_rounds=${PEERS_DUMP_ROUNDS:-2}
    under_rounds=${PEERS_UNDER_ROUNDS:-2}
    under_duration=${PEERS_UNDER_DURATION:-3}
else
    sizes=${2:-"100000 1000000"}
    rounds=${PEERS_ROUNDS:-6}
    duration=${PEERS_DURATION:-5}
    dump_rounds=${PEERS_DUMP_ROUNDS:-5}
    under_rounds=${PEERS_UNDER_ROUNDS:-4}
    under_duration=${PEERS_UNDER_DURATION:-10}
fi
conns=${PEERS_CONNECTIONS:-64}
threads=${PEERS_THREADS:-1}
per_account=10

untracked=http://127.0.0.1:18181
module_url=http://127.0.0.1:18182
lua_url=http://127.0.0.1:18183
module_api=http://127.0.0.1:18185
lua_api=http://127.0.0.1:18186

log() {
    echo "peers: $*" >&2
}

record() {
    echo "$1" >> "$results"
}

stop_nginx() {
    local pid

    [ -f "$prefix/nginx.pid" ] || return 0
    pid=$(cat "$prefix/nginx.pid")
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
}

start_nginx() {
    local zone=$1 dict=$2

    rm -rf "$prefix/conf" "$prefix/logs"
    mkdir -p "$prefix/conf" "$prefix/logs"
    sed -e "s|@MODULE@|$module|g" -e "s|@PREFIX@|$prefix|g" \
        -e "s|@ROOT@|$root|g" -e "s|@ZONE_SIZE@|$zone|g" \
        -e "s|@DICT_SIZE@|$dict|g" \
        "$root/bench/peers/nginx.conf.in" > "$prefix/conf/nginx.conf"

    "$nginx" -p "$prefix" -c conf/nginx.conf
    for _ in $(seq 50); do
        curl -fs -o /dev/null "$module_api/status" \
            && curl -fs -o /dev/null "$lua_api/status" && return 0
        sleep 0.1
    done
    log "nginx did not start:"; tail "$prefix/logs/error.log" >&2
    exit 1
}

# the module's status JSON on one line; the Lua side's figures
module_status() {
    curl -fsS "$module_api/status?format=json" | tr -d '\n'
}

lua_status() {
    curl -fsS "$lua_api/status${1:-}" | tr -d '\n'
}

# sessions each side holds (the Lua side: sessions created, as counting
# them takes the whole dict's lock)
sessions_of() {
    if [ "$1" = module ]; then
        module_status | python3 -c 'import json, sys; print(json.load(sys.stdin)["sessions"]["open"])'
    else
        lua_status | python3 -c 'import json, sys; print(json.load(sys.stdin)["created"])'
    fi
}

url_of() {
    case $1 in
        untracked) echo "$untracked" ;;
        module) echo "$module_url" ;;
        lua) echo "$lua_url" ;;
    esac
}

# one wrk run of traffic with a random live session's cookie; its json
traffic() {
    local url=$1 path=$2 live=$3 secs=$4

    BENCH_LIVE=$live BENCH_PATH=$path \
        wrk -t"$threads" -c"$conns" -d"${secs}s" --latency \
            -s "$root/bench/traffic.lua" "$url" \
        | sed -n 's/^BENCH //p'
}

# bench/fill.lua against one side until it holds the sessions; wrk has no
# request count, so the run is stopped once the side's count is reached
fill() {
    local side=$1 n=$2 start end pid

    log "filling $side with $n sessions over $((n / per_account)) accounts"
    start=$(date +%s.%N)
    BENCH_FILL=$n BENCH_ACCOUNTS=$((n / per_account)) BENCH_THREADS=2 \
        wrk -t2 -c32 -d900s -s "$root/bench/fill.lua" "$(url_of "$side")" \
        >/dev/null &
    pid=$!

    # wrk may drop a thread's very first request: allow for that
    while [ "$(sessions_of "$side")" -lt "$((n - 4))" ]; do
        if ! kill -0 $pid 2>/dev/null; then
            log "wrk ended at $(sessions_of "$side") sessions"
            exit 1
        fi
        sleep 0.2
    done
    end=$(date +%s.%N)
    kill $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true

    record "{\"kind\":\"fill\",\"n\":$n,\"side\":\"$side\",\"seconds\":$(awk "BEGIN { print $end - $start }")}"
}

# throughput and p99 of the three servers, for both locations; the order
# of the sides reverses every other round
overhead() {
    local n=$1 r path order side json

    for r in $(seq "$rounds"); do
        for path in / /proxied; do
            if [ $((r % 2)) = 1 ]; then
                order="untracked module lua"
            else
                order="lua module untracked"
            fi
            for side in $order; do
                json=$(traffic "$(url_of $side)" "$path" "$n" "$duration")
                record "{\"kind\":\"overhead\",\"n\":$n,\"round\":$r,\"path\":\"$path\",\"server\":\"$side\",\"wrk\":$json}"
                log "overhead n=$n round $r $path $side: $json"
            done
        done
    done
}

dump_url() {
    if [ "$1" = module ]; then
        echo "$module_api/dump?listSessions=1&groupByAccount=1"
    else
        echo "$lua_api/dump"
    fi
}

# one whole dump read by curl: {"seconds":..,"bytes":..,"http":..}
dump_once() {
    curl -sS -o /dev/null -H "Accept: application/json" \
        -w '{"seconds":%{time_total},"bytes":%{size_download},"http":%{http_code}}' \
        "$(dump_url "$1")"
}

dumps() {
    local n=$1 r side order out

    for r in $(seq "$dump_rounds"); do
        if [ $((r % 2)) = 1 ]; then order="module lua"; else order="lua module"; fi
        for side in $order; do
            out=$(dump_once $side)
            record "{\"kind\":\"dump\",\"n\":$n,\"round\":$r,\"side\":\"$side\",\"result\":$out}"
            log "dump n=$n round $r $side: $out"
        done
    done
}

# tracked traffic of one side alone and while dumps of that side run back
# to back; the four runs of a round reverse their order every other round
under_dumps() {
    local n=$1 r run side mode json loop count times progress

    for r in $(seq "$under_rounds"); do
        if [ $((r % 2)) = 1 ]; then
            set -- module:quiet module:dumping lua:quiet lua:dumping
        else
            set -- lua:dumping lua:quiet module:dumping module:quiet
        fi

        for run in "$@"; do
            side=${run%:*}
            mode=${run#*:}
            count=0
            times=
            progress=

            if [ $mode = dumping ]; then
                # in a process group of its own, to be stopped whole; the
                # dump running at the end stops there by itself and says
                # how far it got ("seconds bytes curl-exit-code")
                setsid bash -c '
                    end=$(( $(date +%s) + $1 ))
                    while left=$(( end - $(date +%s) )); [ $left -gt 0 ]; do
                        curl -s -o /dev/null --max-time $left \
                             -H "Accept: application/json" \
                             -w "%{time_total} %{size_download} %{exitcode}\n" \
                             "$2" || true
                    done' peers "$under_duration" "$(dump_url $side)" \
                    > "$prefix/dumps.times" &
                loop=$!
            fi

            json=$(traffic "$(url_of $side)" / "$n" "$under_duration")

            if [ $mode = dumping ]; then
                wait $loop 2>/dev/null || true
                kill -TERM -- -$loop 2>/dev/null || true
                count=$(awk '$3 == 0' "$prefix/dumps.times" | wc -l)
                times=$(awk '$3 == 0 { print $1 }' "$prefix/dumps.times" \
                        | paste -sd, -)
                progress=$(awk '{ print "[" $1 "," $2 "]" }' \
                           "$prefix/dumps.times" | paste -sd, -)
            fi

            record "{\"kind\":\"under_dumps\",\"n\":$n,\"round\":$r,\"side\":\"$side\",\"mode\":\"$mode\",\"dumps\":$count,\"dump_seconds\":[$times],\"dump_read\":[$progress],\"wrk\":$json}"
            log "traffic n=$n round $r $side $mode (dumps: $count): $json"
        done
    done
}

machine() {
    printf '{"cpu":"%s","cores":%s,"memory_gb":%s,"kernel":"%s","nginx":"%s","lua_module":"%s","wrk":"%s","load":"%s","date":"%s"}' \
        "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
        "$(nproc)" \
        "$(free -g | awk '/^Mem:/ { print $2 }')" \
        "$(uname -r)" \
        "$("$nginx" -v 2>&1 | sed 's/.*: //')" \
        "$(dpkg-query -W -f='${Version}' libnginx-mod-http-lua 2>/dev/null)" \
        "$(wrk --version 2>&1 | head -1 | awk '{ print $2 }')" \
        "$(cut -d' ' -f1-3 /proc/loadavg)" \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

cpu_ticks() {
    awk '/^cpu / { printf "[%s,%s,%s,%s,%s,%s,%s,%s]", $2, $3, $4, $5, $6, $7, $8, $9 }' /proc/stat
}

if [ ! -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] \
   || [ ! -f /usr/lib/nginx/modules/ndk_http_module.so ]
then
    log "Debian's libnginx-mod-http-lua is missing: util/install-deps.sh bench"
    exit 1
fi

mkdir -p "$prefix"
: > "$results"
trap stop_nginx EXIT

cmd="bench/peers/run.sh MODULE.so"
[ -z "${2:-}" ] || cmd="$cmd \"$2\""
for v in PEERS_QUICK PEERS_ROUNDS PEERS_DURATION PEERS_DUMP_ROUNDS \
         PEERS_UNDER_ROUNDS PEERS_UNDER_DURATION PEERS_CONNECTIONS \
         PEERS_THREADS
do
    eval "val=\${$v:-}"
    [ -z "$val" ] || cmd="$v=$val $cmd"
done

record "{\"kind\":\"cpu\",\"at\":\"start\",\"ticks\":$(cpu_ticks)}"
record "{\"kind\":\"run\",\"command\":\"$(echo "$cmd" | sed 's/"/\\"/g')\",\"machine\":$(machine),\"sizes\":\"$sizes\",\"rounds\":$rounds,\"duration\":$duration,\"dump_rounds\":$dump_rounds,\"under_rounds\":$under_rounds,\"under_duration\":$under_duration,\"connections\":$conns,\"threads\":$threads,\"per_account\":$per_account}"

for n in $sizes; do
    # the module's zone as bench/run.sh sizes it; the dict at about 2.5x
    # what a Lua session takes (about 200 bytes in 256-byte slab chunks)
    zone=$(( (n * 400 / 1048576) + 32 ))m
    dict=$(( (n * 640 / 1048576) + 32 ))m

    log "n=$n: zone of $zone, dict of $dict"
    stop_nginx
    start_nginx "$zone" "$dict"
    record "{\"kind\":\"empty\",\"n\":$n,\"zone\":\"$zone\",\"dict\":\"$dict\",\"module\":$(module_status),\"lua\":$(lua_status '?count=1')}"

    fill module "$n"
    fill lua "$n"
    record "{\"kind\":\"memory\",\"n\":$n,\"zone\":\"$zone\",\"dict\":\"$dict\",\"module\":$(module_status),\"lua\":$(lua_status '?count=1')}"

    overhead "$n"
    dumps "$n"
    under_dumps "$n"
    record "{\"kind\":\"after\",\"n\":$n,\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"module\":$(module_status),\"lua\":$(lua_status)}"
done

stop_nginx
trap - EXIT
record "{\"kind\":\"cpu\",\"at\":\"end\",\"ticks\":$(cpu_ticks)}"
log "wrote $results; python3 bench/peers/report.py $results"
