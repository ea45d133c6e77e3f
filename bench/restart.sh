#!/bin/bash
# Restart at N sessions (issue 12 item 5): a state file of N sessions
# (bench/gen-state.py), then, ROUNDS times in one nginx set-up:
#
#   - start: "nginx" until it returns (the master loads the file before
#     it forks), and until the first request is answered;
#   - reload: wrk on a tracked location, "nginx -s reload" a second into
#     the run; its slowest request against the same run without a
#     reload, side by side;
#   - stop: one login (a change: an unchanged zone is not saved), then
#     "nginx -s quit" until the master is gone (worker 0 saves the whole
#     file at exit), and the save's own line in the log.
#
# Loopback only (127.0.0.1:26300), every run bounded; the nginx is this
# script's own, stopped by its pid.  Prints one line per measure and the
# medians.
#
# Usage: bench/restart.sh MODULE.so [SESSIONS]
# Knobs: RESTART_ROUNDS (3), RESTART_USER (nobody: the workers), RESTART_ZONE (2560m), RESTART_DIR
#        (build/restart), NGINX_BIN (/usr/sbin/nginx), RESTART_PORT (26300)

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
module=$(readlink -f "${1:?usage: bench/restart.sh MODULE.so [SESSIONS]}")
n=${2:-10000000}
rounds=${RESTART_ROUNDS:-3}
zone=${RESTART_ZONE:-2560m}
dir=${RESTART_DIR:-$root/build/restart}
nginx=${NGINX_BIN:-/usr/sbin/nginx}
port=${RESTART_PORT:-26300}

user=${RESTART_USER:-nobody}
group=$(id -gn "$user")

mkdir -p "$dir/logs"
# the workers' own directory, as an operator gives it (docs/operations.md)
install -d -o "$user" -m 700 "$dir/state"
source=$dir/gen-$n.state
state=$dir/state/s.state

if [ ! -f "$source" ]; then
    echo "restart: generating $n sessions into $source" >&2
    python3 "$root/bench/gen-state.py" "$n" s "$source"
fi

cat > "$dir/nginx.conf" <<_EOC_
load_module $module;
user $user $group;
worker_processes 2;
error_log $dir/logs/error.log info;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    session_zone zone=s:$zone timeout=2h state=$state;
    server {
        listen 127.0.0.1:$port;
        session_track s;
        session_key \$cookie_SID;
        location / { return 200 "ok\n"; }
        location = /login { session_create \$arg_t; return 200 "in\n"; }
    }
}
_EOC_

now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }

master=
stop() {
    if [ -n "$master" ] && kill -0 "$master" 2>/dev/null; then
        kill -TERM "$master"
    fi
}
trap stop EXIT

# wrk's slowest request, in ms
wrk_max() {
    wrk -t2 -c8 -d"$1"s -H "Cookie: SID=none" --latency \
        "http://127.0.0.1:$port/" | awk '
        /^    Latency/ {
            v = $4; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
            if (u == "us") v /= 1000; else if (u == "s") v *= 1000;
            printf "%.1f", v
        }'
}

declare -a starts serves reloads alones stops

for r in $(seq 1 "$rounds"); do
    install -o "$user" -m 600 "$source" "$state"
    sync

    t0=$(now)
    "$nginx" -c "$dir/nginx.conf" -p "$dir"
    t1=$(now)
    master=$(cat "$dir/nginx.pid")
    until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.01; done
    t2=$(now)
    starts+=("$(secs "$t0" "$t1")")
    serves+=("$(secs "$t0" "$t2")")
    grep "sessions loaded" "$dir/logs/error.log" | tail -1 >&2

    # the same traffic without and with a reload, one after the other
    alones+=("$(wrk_max 5)")
    ( sleep 1; "$nginx" -c "$dir/nginx.conf" -p "$dir" -s reload ) &
    reloads+=("$(wrk_max 5)")
    wait
    sleep 1

    # a change, so that the exit save writes the whole zone
    curl -s -o /dev/null "http://127.0.0.1:$port/login?t=restart-$r-$$"

    t0=$(now)
    kill -QUIT "$master"
    while kill -0 "$master" 2>/dev/null; do sleep 0.01; done
    t1=$(now)
    master=
    stops+=("$(secs "$t0" "$t1")")
    grep "sessions saved" "$dir/logs/error.log" | tail -2 >&2

    echo "round $r: start ${starts[-1]} s (serving at ${serves[-1]} s)," \
         "slowest request ${alones[-1]} ms alone, ${reloads[-1]} ms" \
         "across a reload, stop ${stops[-1]} s"
done

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 }
    END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "median of $rounds, $n sessions: start $(median "${starts[@]}") s," \
     "serving at $(median "${serves[@]}") s, slowest request" \
     "$(median "${alones[@]}") ms alone, $(median "${reloads[@]}") ms" \
     "across a reload, stop $(median "${stops[@]}") s"
