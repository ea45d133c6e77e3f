#!/bin/bash
# make soak: tracked traffic with several workers (logins, lookups,
# logouts: util/soak.lua), dumps in a loop, and a reload (HUP) every
# second, every fifth one resizing the zone, for SECONDS seconds; then,
# with everything quiet, checks that
#   - the error log holds no [alert], [crit] or [emerg], and no worker
#     died on a signal;
#   - the zone's counters agree with a full dump, session for session.
# Loopback only, bounded in time.  Usage: util/soak.sh MODULE.so SECONDS

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
module=$(readlink -f "${1:?usage: util/soak.sh MODULE.so SECONDS}")
seconds=${2:-60}
prefix=$root/build/soak
nginx=${NGINX_BIN:-/usr/sbin/nginx}
workers=${SOAK_WORKERS:-4}
front=http://127.0.0.1:18181
api=http://127.0.0.1:18184

log() {
    echo "soak: $*" >&2
}

config() {
    sed -e "s|@MODULE@|$module|g" -e "s|@PREFIX@|$prefix|g" \
        -e "s|@WORKERS@|$workers|g" -e "s|@ZONE_SIZE@|$1|g" \
        "$root/util/soak.conf.in" > "$prefix/conf/nginx.conf"
}

master() {
    cat "$prefix/nginx.pid"
}

cleanup() {
    [ -n "${pids:-}" ] && kill $pids 2>/dev/null
    [ -f "$prefix/nginx.pid" ] && kill -QUIT "$(master)" 2>/dev/null
    true
}

rm -rf "$prefix"
mkdir -p "$prefix/conf" "$prefix/logs"
trap cleanup EXIT

config 8m
"$nginx" -p "$prefix" -c conf/nginx.conf -t -q
"$nginx" -p "$prefix" -c conf/nginx.conf
sleep 0.5

log "$seconds s: traffic from 2 wrk threads, dumps in a loop, a reload a second"

wrk -t2 -c32 -d"${seconds}s" -s "$root/util/soak.lua" "$front" \
    > "$prefix/wrk.out" 2>&1 &
pids=$!

(
    end=$(( $(date +%s) + seconds ))
    while [ "$(date +%s)" -lt $end ]; do
        curl -s -o /dev/null -w '%{http_code}\n' \
             "$api/dump?listSessions=1&groupByAccount=1"
        curl -s -o /dev/null -w '%{http_code}\n' \
             -H 'Accept: application/json' "$api/dump?listSessions=1"
        curl -s -o /dev/null -w '%{http_code}\n' \
             "$api/status?list=1&limit=1000"
    done > "$prefix/dumps.out"
) &
pids="$pids $!"

reloads=0
end=$(( $(date +%s) + seconds ))

while [ "$(date +%s)" -lt $end ]; do
    sleep 1
    reloads=$((reloads + 1))

    # every fifth reload resizes the zone: its sessions are copied over
    if [ $((reloads % 5)) = 0 ]; then
        if [ $((reloads % 10)) = 0 ]; then config 8m; else config 12m; fi
    fi

    kill -HUP "$(master)"
done

wait $pids 2>/dev/null || true
pids=

# let the old workers finish and leave

for _ in $(seq 300); do
    [ "$(pgrep -c -P "$(master)")" -le "$workers" ] && break
    sleep 0.1
done

status=$(curl -fsS "$api/status?format=json")
dump=$(curl -fsS "$api/dump?listSessions=1")

open=$(echo "$status" | python3 -c 'import json, sys; print(json.load(sys.stdin)["sessions"]["open"])')
listed=$(echo "$dump" | grep -o '<s ' | wc -l)
attr=$(echo "$dump" | sed -n 's/.*<DumpSessionsResponse[^>]*activeSessions="\([0-9]*\)".*/\1/p')
requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$prefix/wrk.out")
dumps=$(wc -l < "$prefix/dumps.out")
bad_dumps=$(grep -vc '^200$' "$prefix/dumps.out" || true)
alerts=$(grep -cE '\[(alert|crit|emerg)\]' "$prefix/logs/error.log" || true)
died=$(grep -cE 'exited on signal|exited with code [1-9]' \
       "$prefix/logs/error.log" || true)

echo
echo "soak summary ($seconds s, $workers workers)"
echo "  requests:           $requests"
echo "  reloads:            $reloads (every fifth one resizing the zone)"
echo "  dumps and listings: $dumps ($bad_dumps not 200)"
echo "  sessions open:      $open (status), $listed listed by a full dump," \
     "activeSessions=\"$attr\""
echo "$status" | python3 -c '
import json, sys
s = json.load(sys.stdin)
t = s["totals"]
print("  created %d, expired %d, evicted %d, ended %d, failed %d"
      % (t["created"], t["expired"], t["evicted"], t["ended"], t["failed"]))
l = s["lock"]
print("  lock: longest hold %.2f ms, %d holds over 1 ms of %d"
      % (l["max_hold_ns"] / 1e6, l["slow_holds"], l["holds"]))'
echo "  error log:          $alerts alert/crit/emerg, $died worker(s) died"

fail=0
[ "$alerts" = 0 ] || { grep -E '\[(alert|crit|emerg)\]' "$prefix/logs/error.log" | head; fail=1; }
[ "$died" = 0 ] || fail=1
[ "$bad_dumps" = 0 ] || fail=1
[ "$open" = "$listed" ] && [ "$open" = "$attr" ] || fail=1
[ "${requests:-0}" -gt 0 ] || fail=1

if [ $fail = 0 ]; then
    echo "soak: PASS"
else
    echo "soak: FAIL"
fi

exit $fail
