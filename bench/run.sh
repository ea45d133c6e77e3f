#!/bin/bash
# The benchmark (make bench): fills a zone through tracked requests (or,
# at the sizes of BENCH_STATE_SIZES, through the documented fast path: a
# state file of bench/gen-state.py loaded at start with state=), then
# measures, side by side in one nginx, what the bars of design.md ask:
#
#   - tracking overhead: the same requests to a tracked and an untracked
#     server, alternated, several rounds, medians and their ratio, for
#     `return 200`, a proxied location and a static file;
#   - zone memory per session, from the zone's own accounting;
#   - full dumps of every listing form, timed, with the zone lock holds
#     they caused (the lock-hold histogram of the status endpoint);
#   - tracked traffic while dumps run back to back, against the same
#     traffic without dumps, alternated;
#   - at the state-file sizes: how long nginx takes to start (the master
#     loads the file), the slowest request across a reload against the
#     same traffic without one, and how long a stop takes (worker 0
#     saves the whole zone at exit).  While the tables are measured this
#     script holds the state file's FILE.tmp locked, as a second writer
#     would, so worker 0 does not save meanwhile (every touch is a
#     change: with state= it would save again and again, which is
#     measured apart, at stop);
#   - the Lua peer (bench/peers/run.sh, when present) at the sizes filled
#     by requests.
#
# Loopback only; every load run is bounded in time and stops by itself.
# Results go to build/bench/results.jsonl; bench/report.py writes
# docs/benchmarks.md and docs/benchmarks.png from them.
#
# Usage: bench/run.sh MODULE.so
# Knobs: BENCH_QUICK=1 (a smoke run of the whole pipeline in a few
#        minutes: small sizes, few short rounds, unless set otherwise),
#        BENCH_SIZES ("100000 1000000 10000000"),
#        BENCH_STATE_SIZES (sizes filled from a state file: "10000000"),
#        BENCH_ROUNDS (5: dumps),
#        BENCH_CONNECTIONS (64), BENCH_THREADS (1),
#        BENCH_OVERHEAD_ROUNDS (10), BENCH_OVERHEAD_DURATION (5 s): many
#        short pairs, as the machine's speed drifts over tens of seconds,
#        BENCH_UNDER_ROUNDS (7), BENCH_UNDER_DURATION (15 s): traffic
#        alone and under dumps, long enough for a dump of 1M under load,
#        BENCH_VARS (0; 1 gives every session two variables),
#        BENCH_OVERHEAD_SIZES (sizes the overhead runs at: all),
#        BENCH_RESTART_ROUNDS (1: reload rounds at state-file sizes).

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
module=$(readlink -f "${1:?usage: bench/run.sh MODULE.so}")
prefix=$root/build/bench
nginx=${NGINX_BIN:-/usr/sbin/nginx}

if [ "${BENCH_QUICK:-0}" = 1 ]; then
    : "${BENCH_SIZES:=10000 30000 100000}" "${BENCH_STATE_SIZES:=100000}"
    : "${BENCH_ROUNDS:=1}" "${BENCH_OVERHEAD_ROUNDS:=2}"
    : "${BENCH_OVERHEAD_DURATION:=1}" "${BENCH_UNDER_ROUNDS:=2}"
    : "${BENCH_UNDER_DURATION:=2}"
    export PEERS_QUICK=1
fi

sizes=${BENCH_SIZES:-"100000 1000000 10000000"}
state_sizes=${BENCH_STATE_SIZES:-"10000000"}
overhead_sizes=${BENCH_OVERHEAD_SIZES:-$sizes}
rounds=${BENCH_ROUNDS:-5}
overhead_rounds=${BENCH_OVERHEAD_ROUNDS:-10}
overhead_duration=${BENCH_OVERHEAD_DURATION:-5}
under_rounds=${BENCH_UNDER_ROUNDS:-7}
under_duration=${BENCH_UNDER_DURATION:-15}
restart_rounds=${BENCH_RESTART_ROUNDS:-1}
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
    local pid

    unlock_state
    if [ -f "$prefix/nginx.pid" ]; then
        pid=$(cat "$prefix/nginx.pid")
        kill -QUIT "$pid" 2>/dev/null || true
        # at 10M worker 0's save at exit takes tens of seconds
        for _ in $(seq 1200); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
}

# the state file's FILE.tmp held locked (fcntl, as the saver locks it),
# so that worker 0 finds a save under way and leaves the file alone
locker=
lock_state() {
    local tmp=$prefix/state/s.state.tmp

    : > "$tmp"
    [ "$(id -u)" != 0 ] || chown nobody "$tmp"
    python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(100000)' "$tmp" > "$prefix/locker.out" &
    locker=$!
    until grep -q locked "$prefix/locker.out" 2>/dev/null; do sleep 0.05; done
}

unlock_state() {
    if [ -n "$locker" ]; then
        kill "$locker" 2>/dev/null || true
        wait "$locker" 2>/dev/null || true
        locker=
        rm -f "$prefix/state/s.state.tmp"
    fi
}

# nginx with a zone of $1; with a state file when $2 is given: then
# sets start_s and serving_s, how long nginx took to return (the master
# loads the file before it forks) and to answer
start_s=
serving_s=
start_nginx() {
    local zone=$1 state=${2:-} vars= t0 t1

    if [ "$with_vars" = 1 ]; then
        vars='session_var host bench.example.com; session_var consoleType 19;'
    fi

    rm -rf "$prefix/conf" "$prefix/logs" "$prefix/state"
    mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/html/static"
    head -c 4096 /usr/share/common-licenses/GPL-3 > "$prefix/html/static/page.html"
    sed -e "s|@MODULE@|$module|g" -e "s|@PREFIX@|$prefix|g" \
        -e "s|@ZONE_SIZE@|$zone|g" -e "s|@FILL_VARS@|$vars|g" \
        -e "s|@STATE@|${state:+ state=$prefix/state/s.state}|g" \
        "$root/bench/nginx.conf.in" > "$prefix/conf/nginx.conf"

    if [ -n "$state" ]; then
        # the workers' own directory, as an operator gives it
        if [ "$(id -u)" = 0 ]; then
            install -d -o nobody -m 700 "$prefix/state"
            install -o nobody -m 600 "$state" "$prefix/state/s.state"
        else
            install -d -m 700 "$prefix/state"
            install -m 600 "$state" "$prefix/state/s.state"
        fi
        lock_state
    fi

    t0=$(date +%s.%N)
    "$nginx" -p "$prefix" -c conf/nginx.conf
    t1=$(date +%s.%N)
    for _ in $(seq 600); do
        if curl -fs -o /dev/null "$api/status"; then
            start_s=$(awk "BEGIN { print $t1 - $t0 }")
            serving_s=$(awk "BEGIN { print $(date +%s.%N) - $t0 }")
            return 0
        fi
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
    local url=$1 path=$2 live=$3 secs=$4

    BENCH_LIVE=$live BENCH_PATH=$path \
        wrk -t"$threads" -c"$conns" -d"${secs}s" --latency \
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


# the CPU time the workers have had, in ns (/proc/PID/schedstat): per
# request, it tells the module's cost apart from the machine's speed,
# which drifts on a shared machine
workers_cpu() {
    local pid sum=0 t

    for pid in $(pgrep -P "$(cat "$prefix/nginx.pid")"); do
        read -r t _ < "/proc/$pid/schedstat" || t=0
        sum=$((sum + t))
    done
    echo $sum
}

overhead() {
    local n=$1 r path first second json cpu0 cpu1 f0 f1

    for r in $(seq "$overhead_rounds"); do
        for path in / /proxied /static/page.html; do
            # ABBA: neither server always goes first
            if [ $((r % 2)) = 1 ]; then
                first=tracked; second=untracked
            else
                first=untracked; second=tracked
            fi

            for server in $first $second; do
                if [ $server = tracked ]; then url=$tracked; else url=$untracked; fi
                cpu0=$(workers_cpu)
                f0=$(workers_faults)
                json=$(traffic "$url" "$path" "$n" "$overhead_duration")
                f1=$(workers_faults)
                cpu1=$(workers_cpu)
                record "{\"kind\":\"overhead\",\"n\":$n,\"round\":$r,\"path\":\"$path\",\"server\":\"$server\",\"cpu_ns\":$((cpu1 - cpu0)),\"faults\":$((f1 - f0)),\"wrk\":$json}"
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

# The XML dump again, with both workers on the first CPU (the other one
# idle) and the client on the second, so that the client cannot take the
# CPU from the worker that holds the lock.
pinned_dumps() {
    local n=$1 r before after out pid

    [ "$(nproc)" -ge 2 ] || return 0

    for pid in $(pgrep -P "$(cat "$prefix/nginx.pid")"); do
        taskset -p -c 0 "$pid" >/dev/null
    done

    for r in $(seq "$rounds"); do
        before=$(status)
        out=$(taskset -c 1 curl -sS -o /dev/null -H "Accept: application/xml" \
              -w '{"seconds":%{time_total},"bytes":%{size_download},"http":%{http_code}}' \
              "$(dump_url zimbra-xml)")
        after=$(status)
        record "{\"kind\":\"dump\",\"n\":$n,\"form\":\"zimbra-xml-pinned\",\"round\":$r,\"result\":$out,\"before\":$before,\"after\":$after}"
        log "dump n=$n zimbra-xml, workers on CPU 0, client on CPU 1, round $r: $out"
    done

    for pid in $(pgrep -P "$(cat "$prefix/nginx.pid")"); do
        taskset -p -c 0-$(( $(nproc) - 1 )) "$pid" >/dev/null
    done
}


# tracked traffic alone, and with dumps back to back, alternated
under_dumps() {
    local n=$1 r mode json loop before after count times progress

    for r in $(seq "$under_rounds"); do
        if [ $((r % 2)) = 1 ]; then set -- quiet dumping; else set -- dumping quiet; fi

        for mode in "$@"; do
            before=$(status)
            count=0
            times=
            progress=

            if [ $mode = dumping ]; then
                # in a process group of its own, to be stopped whole; the
                # dump still running at the end stops there by itself and
                # tells how far it got ("seconds bytes curl-exit-code")
                setsid bash -c '
                    end=$(( $(date +%s) + $1 ))
                    while left=$(( end - $(date +%s) )); [ $left -gt 0 ]; do
                        curl -s -o /dev/null --max-time $left \
                             -w "%{time_total} %{size_download} %{exitcode}\n" \
                             "$2" || true
                    done' bench "$under_duration" "$api/dump?listSessions=1" \
                    > "$prefix/dumps.times" &
                loop=$!
            fi

            json=$(traffic "$tracked" / "$n" "$under_duration")

            if [ $mode = dumping ]; then
                wait $loop 2>/dev/null || true
                kill -TERM -- -$loop 2>/dev/null || true
                # whole dumps: their times; all of them: seconds and bytes
                count=$(awk '$3 == 0' "$prefix/dumps.times" | wc -l)
                times=$(awk '$3 == 0 { print $1 }' "$prefix/dumps.times" \
                        | paste -sd, -)
                progress=$(awk '{ print "[" $1 "," $2 "]" }' \
                           "$prefix/dumps.times" | paste -sd, -)
            fi

            after=$(status)
            record "{\"kind\":\"under_dumps\",\"n\":$n,\"round\":$r,\"mode\":\"$mode\",\"dumps\":$count,\"dump_seconds\":[$times],\"dump_read\":[$progress],\"wrk\":$json,\"before\":$before,\"after\":$after}"
            log "traffic n=$n round $r $mode (dumps: $count): $json"
        done
    done
}

# the slowest request of a modest tracked load (8 connections) over
# $1 s; with a reload of nginx at 1 s when $2 is "reload"
slowest() {
    local secs=$1 mode=$2 json pid=

    if [ "$mode" = reload ]; then
        ( sleep 1; "$nginx" -p "$prefix" -c conf/nginx.conf -s reload ) &
        pid=$!
    fi
    json=$(BENCH_LIVE=$3 BENCH_PATH=/ \
           wrk -t1 -c8 -d"${secs}s" --latency -s "$root/bench/traffic.lua" \
               "$tracked" | sed -n 's/^BENCH //p')
    [ -z "$pid" ] || wait "$pid"
    echo "$json"
}

# the workers' minor page faults (/proc/PID/stat), summed
workers_faults() {
    local pid sum=0

    for pid in $(pgrep -P "$(cat "$prefix/nginx.pid")"); do
        sum=$((sum + $(awk '{ print $10 }' "/proc/$pid/stat")))
    done
    echo $sum
}

# the first traffic after a load: each worker maps the zone's pages as
# it first touches them (fork does not copy the page tables of a shared
# mapping), much of that under the zone lock, and at 10M that takes
# minutes of traffic; recorded apart, run by run, until a run takes
# fewer than 1000 faults (at most 24 runs), so that the tables measure
# the steady state
warmup() {
    local n=$1 r before after f0 f1 c0 c1 json

    for r in $(seq 24); do
        before=$(status)
        f0=$(workers_faults)
        c0=$(workers_cpu)
        json=$(traffic "$tracked" / "$n" "$overhead_duration")
        c1=$(workers_cpu)
        f1=$(workers_faults)
        after=$(status)
        record "{\"kind\":\"warmup\",\"n\":$n,\"round\":$r,\"faults\":$((f1 - f0)),\"cpu_ns\":$((c1 - c0)),\"wrk\":$json,\"before\":$before,\"after\":$after}"
        log "traffic after the load, n=$n, run $r: $((f1 - f0)) minor faults: $json"
        [ $((f1 - f0)) -ge 1000 ] || break
    done
}

# at a state-file size: reloads (the slowest request against the same
# traffic without one), then a stop, timed until the master is gone
# (worker 0 saves the whole zone at exit)
restart_figures() {
    local n=$1 start=$2 serving=$3 r alone across master t0 t1 saved

    # from here worker 0 saves as it would in production
    unlock_state
    for r in $(seq "$restart_rounds"); do
        alone=$(slowest 5 none "$n")
        across=$(slowest 5 reload "$n")
        record "{\"kind\":\"reload\",\"n\":$n,\"round\":$r,\"alone\":$alone,\"across\":$across}"
        log "reload n=$n round $r: alone $alone; across a reload $across"
        # the old workers finish (the old worker 0 saves as it exits)
        sleep 2
    done

    # a change, so that the exit save writes the whole zone
    curl -s -o /dev/null -H "Cookie: SID=t0" "$tracked/"
    master=$(cat "$prefix/nginx.pid")
    t0=$(date +%s.%N)
    kill -QUIT "$master"
    while kill -0 "$master" 2>/dev/null; do sleep 0.05; done
    t1=$(date +%s.%N)
    # the save at exit is logged at "info": the file's time tells instead
    saved=false
    [ "$(stat -c %Y "$prefix/state/s.state")" -lt "${t0%.*}" ] || saved=true
    record "{\"kind\":\"restart\",\"n\":$n,\"start_seconds\":$start,\"serving_seconds\":$serving,\"stop_seconds\":$(awk "BEGIN { print $t1 - $t0 }"),\"saved\":$saved,\"zone\":\"$zone\"}"
    log "restart n=$n: start $start s (serving at $serving s), stop $(awk "BEGIN { print $t1 - $t0 }") s"
}

# a state file of $1 sessions (the tokens t0 .. t<N-1>), made again when
# its sessions would be near the end of the zone's 2h timeout
state_file() {
    local f=$root/build/bench/gen-$1.state

    if [ ! -f "$f" ] || [ -n "$(find "$f" -mmin +60)" ]; then
        log "generating a state file of $1 sessions (bench/gen-state.py)"
        python3 "$root/bench/gen-state.py" "$1" bench "$f"
    fi
    echo "$f"
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
for v in BENCH_SIZES BENCH_OVERHEAD_SIZES BENCH_ROUNDS \
         BENCH_OVERHEAD_ROUNDS BENCH_OVERHEAD_DURATION BENCH_UNDER_ROUNDS \
         BENCH_UNDER_DURATION \
         BENCH_CONNECTIONS BENCH_THREADS BENCH_VARS
do
    eval "val=\${$v:-}"
    [ -z "$val" ] || cmd="$v=\"$val\" $cmd"
done

# the CPU's time by state (user nice system idle iowait irq softirq
# steal), to tell how much the hypervisor took
cpu_ticks() {
    awk '/^cpu / { printf "[%s,%s,%s,%s,%s,%s,%s,%s]", $2, $3, $4, $5, $6, $7, $8, $9 }' /proc/stat
}

record "{\"kind\":\"cpu\",\"at\":\"start\",\"ticks\":$(cpu_ticks)}"
record "{\"kind\":\"run\",\"state_sizes\":\"$state_sizes\",\"command\":\"$(echo "$cmd" | sed 's/"/\\"/g')\",\"machine\":$(machine),\"rounds\":$rounds,\"overhead_rounds\":$overhead_rounds,\"overhead_duration\":$overhead_duration,\"under_rounds\":$under_rounds,\"under_duration\":$under_duration,\"connections\":$conns,\"threads\":$threads,\"vars\":$with_vars,\"per_account\":$per_account}"

for n in $sizes; do
    from_state=
    for s in $state_sizes; do
        [ "$s" = "$n" ] && from_state=1
    done

    stop_nginx
    if [ -n "$from_state" ]; then
        # the fast path: about 1.4x what a session needs today (the
        # issue's 10M run used 2 GiB), the index included
        zone=$(( (n * 215 / 1048576) + 32 ))m
        state=$(state_file "$n")
        log "zone of $zone for $n sessions, loaded from $state"
        start_nginx "$zone" "$state"
        record "{\"kind\":\"fill\",\"n\":$n,\"from_state\":true,\"seconds\":$serving_s,\"status\":$(status)}"
        warmup "$n"
    else
        # about 3x what a session needs, and room for the accounts
        zone=$(( (n * 400 / 1048576) + 32 ))m
        log "zone of $zone for $n sessions"
        start_nginx "$zone"
        record "{\"kind\":\"empty\",\"n\":$n,\"status\":$(status)}"
        fill "$n"
    fi

    for o in $overhead_sizes; do
        [ "$o" = "$n" ] && overhead "$n"
    done

    dumps "$n"
    pinned_dumps "$n"
    under_dumps "$n"
    record "{\"kind\":\"measured\",\"n\":$n,\"status\":$(status)}"

    if [ -n "$from_state" ]; then
        restart_figures "$n" "$start_s" "$serving_s"
    fi
done

stop_nginx
trap - EXIT

# the Lua peer beside the module, at the sizes filled by requests
if [ -f "$root/bench/peers/run.sh" ]; then
    peer_sizes=
    for n in $sizes; do
        case " $state_sizes " in *" $n "*) ;; *) peer_sizes="$peer_sizes $n" ;; esac
    done
    rm -f "$prefix/peers.jsonl"
    bash "$root/bench/peers/run.sh" "$module" "${peer_sizes# }" \
        || log "bench/peers/run.sh failed: the report goes without the peer"
fi

record "{\"kind\":\"cpu\",\"at\":\"end\",\"ticks\":$(cpu_ticks)}"

python3 "$root/bench/report.py" "$results" "$root/docs"
log "wrote docs/benchmarks.md and docs/benchmarks.png"
