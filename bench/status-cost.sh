#!/bin/bash
# What the dashboard costs on a big zone (docs/status.md, "The dashboard"):
# each of its polls is one JSON status request.  One nginx, two zones side
# by side: "big", loaded from a state file of N sessions over A accounts
# (written here; loading is far faster than logging in a million times),
# and "empty".  The status of each is requested in alternation, R rounds
# of 50 sequential requests; the medians of the per-round means and their
# ratio are printed, with the machine.  Loopback only; bounded; stops
# its nginx by pid.
#
# Usage: bench/status-cost.sh MODULE.so     (or make bench-status)
# Knobs: STATUS_SESSIONS (1000000), STATUS_ACCOUNTS (100000),
#        STATUS_ROUNDS (9), STATUS_PORT (21190), STATUS_SETTLE (10 s after
#        loading, for the first save of the zone)

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
module=$(readlink -f "${1:?usage: bench/status-cost.sh MODULE.so}")
nginx=${NGINX_BIN:-/usr/sbin/nginx}
n=${STATUS_SESSIONS:-1000000}
accounts=${STATUS_ACCOUNTS:-100000}
rounds=${STATUS_ROUNDS:-9}
port=${STATUS_PORT:-21190}
dir=$root/build/bench-status

rm -rf "$dir"
mkdir -p "$dir/logs" "$dir/state"
# worker 0 saves the state file: as root, workers run as nobody
[ "$(id -u)" -ne 0 ] || chown nobody "$dir/state"

# a state file of n open sessions; the key is any 32 hex digits
perl -MDigest::MD5=md5_hex -e '
    my ($n, $accounts) = @ARGV;
    my $now = int(time * 1000);
    print "ngx_http_session_state 1 zone=big key=",
          "00112233445566778899aabbccddeeff epoch=$now pid=1 saved=$now\n";
    for my $i (1 .. $n) {
        my $a = $i % $accounts;
        printf "s %s %s u%d - %d %d 0 127.0.0.1 1\n",
               md5_hex("s$i"), ($i % 4 ? "soap" : "imap"), $a,
               $now - 1000, $now;
    }
    print "end $n\n";
' "$n" "$accounts" >"$dir/state/big.state"
chmod 600 "$dir/state/big.state"

cat >"$dir/nginx.conf" <<EOF
load_module $module;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/logs/error.log notice;
events { worker_connections 256; }
http {
    access_log off;
    session_zone zone=big:$(( n / 1000000 * 256 + 64 ))m timeout=1h
                 state=$dir/state/big.state;
    session_zone zone=empty:1m;
    server {
        listen 127.0.0.1:$port;
        session_admin 1;
        location = /big { session_status big; }
        location = /empty { session_status empty; }
    }
}
EOF

start=$(date +%s.%N)
"$nginx" -p "$dir" -c "$dir/nginx.conf"
pid=
for _ in $(seq 300); do
    [ -s "$dir/nginx.pid" ] && pid=$(cat "$dir/nginx.pid") && break
    sleep 0.1
done
trap '[ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null' EXIT

open=0
for _ in $(seq 600); do
    open=$(curl -s "http://127.0.0.1:$port/big?format=json" \
           | sed -n 's/.*"sessions": {"open": \([0-9]*\).*/\1/p')
    [ "${open:-0}" -ge "$n" ] && break
    sleep 0.1
done
loaded=$(echo "$(date +%s.%N) - $start" | bc)
[ "${open:-0}" -ge "$n" ] || { echo "status-cost: only ${open:-0} loaded"; exit 1; }

# worker 0 saves the loaded zone once, in steps: let it finish first
sleep "${STATUS_SETTLE:-10}"

# the mean time of 50 sequential requests, in ms
mean() {
    local args=() i
    for i in $(seq 50); do
        args+=(-o /dev/null "http://127.0.0.1:$port/$1?format=json")
    done
    curl -s -w '%{http_code} %{time_total}\n' "${args[@]}" \
    | awk '$1 != 200 { bad++ } { s += $2 }
           END { if (bad) { print "status-cost: not 200" > "/dev/stderr";
                            exit 1 }
                 printf "%.3f\n", s / NR * 1000 }'
}

big=()
empty=()
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then
        big+=("$(mean big)"); empty+=("$(mean empty)")
    else
        empty+=("$(mean empty)"); big+=("$(mean big)")
    fi
done

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 }
    END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

mb=$(median "${big[@]}")
me=$(median "${empty[@]}")
holds=$(curl -s "http://127.0.0.1:$port/big?format=json" \
        | tr -d '\n' | sed 's/.*"max_hold_ns": \([0-9]*\).*/\1/')

echo "status-cost: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "status-cost: zone big: $open sessions over $accounts accounts, loaded in ${loaded%???????} s"
echo "status-cost: JSON status, median of $rounds rounds of 50: big ${mb} ms, empty ${me} ms, ratio $(echo "scale=2; $mb / $me" | bc)"
echo "status-cost: rounds big: ${big[*]}"
echo "status-cost: rounds empty: ${empty[*]}"
echo "status-cost: longest zone lock hold of the big zone since start: ${holds} ns"
