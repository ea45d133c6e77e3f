#!/bin/bash
# The cost of reading a login exchange's fields (session_field): the same
# login, in JSON (Commvault's, cvpysdk's body) and in SOAP XML (Zimbra's,
# python-zimbra's body), posted to a location that takes the token and
# the account from the upstream's headers and to one that takes them
# from the request's and response's bodies.  ABBA rounds, one nginx,
# each round's ratio of requests per second, and the CPU time the nginx
# workers spent per request (utime + stime from /proc, which the noise of
# a shared machine moves less than throughput); prints the medians of
# each side, of the ratio, and the CPU each login's fields add.  The
# application is a location of the same nginx, so its work counts on both
# sides.  Loopback only, bounded in time.
#
# Usage: bench/login.sh MODULE.so
# Knobs: LOGIN_ROUNDS (8), LOGIN_DURATION (5 s a side), LOGIN_CONNECTIONS
#        (32), LOGIN_PORT (18091; the application on LOGIN_PORT + 1).

set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
module=$(readlink -f "${1:?usage: bench/login.sh MODULE.so}")
prefix=$root/build/bench-login
nginx=${NGINX_BIN:-/usr/sbin/nginx}

rounds=${LOGIN_ROUNDS:-8}
secs=${LOGIN_DURATION:-5}
conns=${LOGIN_CONNECTIONS:-32}
port=${LOGIN_PORT:-18091}
results=$prefix/results.jsonl

log() {
    echo "bench-login: $*" >&2
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

trap stop_nginx EXIT

rm -rf "$prefix"
mkdir -p "$prefix/conf" "$prefix/logs"

sed -e "s|@MODULE@|$module|g" -e "s|@PREFIX@|$prefix|g" \
    -e "s|@PORT@|$port|g" -e "s|@APP_PORT@|$((port + 1))|g" \
    "$root/bench/login.conf.in" > "$prefix/conf/nginx.conf"

# the bodies the clients send (t/data/login/*.req)
sed -n '/^\r$/,$p' "$root/t/data/login/commvault-login-cvpysdk.req" \
    | tail -n +2 > "$prefix/json.body"
sed -n '/^\r$/,$p' "$root/t/data/login/zimbra-auth-xml.req" \
    | tail -n +2 > "$prefix/xml.body"

"$nginx" -p "$prefix" -c "$prefix/conf/nginx.conf"
sleep 0.5

# the workers' CPU time so far, in clock ticks
cpu_ticks() {
    local pid t=0

    for pid in $(pgrep -P "$(cat "$prefix/nginx.pid")"); do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    done

    echo $t
}

run() {   # format side: the wrk json, with the workers' CPU in it
    local ctype=application/json before json

    [ "$1" = xml ] && ctype=application/x-www-form-urlencoded

    before=$(cpu_ticks)
    json=$(BENCH_BODY=$prefix/$1.body BENCH_CTYPE=$ctype \
           wrk -t1 -c"$conns" -d"${secs}s" --latency \
               -s "$root/bench/login.lua" "http://127.0.0.1:$port/$1/$2" \
           | sed -n 's/^BENCH //p')
    echo "${json%\}},\"cpu_ticks\":$(( $(cpu_ticks) - before )),\"hz\":$(getconf CLK_TCK)}"
}

# warm up: every token of the X-Seq range made once on each side
for f in json xml; do
    for side in plain fields; do
        run $f $side >/dev/null
    done
done

machine="{\"cpus\":$(nproc),\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"nginx\":\"$("$nginx" -v 2>&1 | sed 's/.*\///')\"}"
echo "{\"kind\":\"run\",\"machine\":$machine,\"rounds\":$rounds,\"secs\":$secs,\"conns\":$conns}" > "$results"

for r in $(seq "$rounds"); do
    for f in json xml; do
        if [ $((r % 2)) = 1 ]; then sides="plain fields"; else sides="fields plain"; fi
        for side in $sides; do
            json=$(run $f $side)
            echo "{\"kind\":\"login\",\"round\":$r,\"format\":\"$f\",\"side\":\"$side\",\"wrk\":$json}" >> "$results"
            log "round $r $f $side: $json"
        done
    done
done

grep -c 'session fields not read' "$prefix/logs/error.log" >/dev/null \
    && log "WARNING: fields not read, see $prefix/logs/error.log" || true

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
run = rows[0]
print("machine: %(cpus)s cpus, load %(load)s, nginx %(nginx)s" % run["machine"])
print("%d ABBA rounds of %d s a side, %d connections"
      % (run["rounds"], run["secs"], run["conns"]))
for f in ("json", "xml"):
    by = {(r["round"], r["side"]): r["wrk"] for r in rows
          if r.get("format") == f}
    rounds = sorted({k[0] for k in by})
    def cpu(w):
        return w["cpu_ticks"] / w["hz"] * 1e6 / w["requests"]
    ratio = [by[(k, "fields")]["rps"] / by[(k, "plain")]["rps"]
             for k in rounds]
    added = [cpu(by[(k, "fields")]) - cpu(by[(k, "plain")]) for k in rounds]
    med = lambda side, key: statistics.median(by[(k, side)][key]
                                              for k in rounds)
    medcpu = lambda side: statistics.median(cpu(by[(k, side)])
                                            for k in rounds)
    bad = sum(by[k]["errors"] + by[k]["non2xx"] for k in by)
    print("%s: plain %.0f req/s, %.0f us CPU/req, p50 %d us, p99 %d us;"
          " fields %.0f req/s, %.0f us CPU/req, p50 %d us, p99 %d us"
          % (f, med("plain", "rps"), medcpu("plain"), med("plain", "p50_us"),
             med("plain", "p99_us"), med("fields", "rps"), medcpu("fields"),
             med("fields", "p50_us"), med("fields", "p99_us")))
    print("%s: fields/plain throughput median %.3f (min %.3f, max %.3f);"
          " CPU added per login median %.1f us (min %.1f, max %.1f);"
          " errors %d"
          % (f, statistics.median(ratio), min(ratio), max(ratio),
             statistics.median(added), min(added), max(added), bad))
PY
