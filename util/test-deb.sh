#!/bin/bash
# The Debian package as an operator meets it (make test-deb):
#
#   1. apt-get install ./build/libnginx-mod-http-session_*.deb (make deb
#      built it): the module, its load snippet enabled, the nginx ABI and
#      library dependencies, the state directory for www-data
#   2. the stock /etc/nginx/nginx.conf, which loads the module through
#      modules-enabled, passes nginx -t
#   3. a configuration that uses the directives passes nginx -t
#   4. a smoke test: an nginx of this test's own (prefix and config in a
#      scratch directory, a loopback port, workers as www-data, a state
#      file in /var/lib/nginx/session) serves logins, the status, the
#      dashboard and a dump; restarted, it still knows the sessions;
#      stopped by its pid
#   5. examples/t/ (an operator's own Test::Nginx suite) against the
#      installed module
#   6. apt-get purge: module, snippet, link and state directory gone, and
#      the stock configuration still passes nginx -t
#
# Safe on a CI machine and a shared one: the system's nginx service is
# never started, stopped or reloaded (the test refuses to run while it
# is running, since installing a module package reloads it), nginx -t of
# the stock configuration runs in a network namespace of its own so its
# "listen 80" binds no real port, and only processes this test started
# are stopped, by pid.  A package already installed is left alone: the
# test refuses to run.
#
# Usage: util/test-deb.sh      (TEST_DEB_PORT: the smoke test's port)

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

pkg=libnginx-mod-http-session
port=${TEST_DEB_PORT:-$(( ${TEST_NGINX_PORT:-1984} + 60 ))}
nginx=/usr/sbin/nginx
state_dir=/var/lib/nginx/session
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

passed=0
failed=0
ok() {
    if [ "$1" -eq 0 ]; then
        passed=$((passed + 1)); echo "ok - $2"
    else
        failed=$((failed + 1)); echo "not ok - $2"
    fi
}
check() {   # description, command...
    local what=$1
    shift
    if "$@" >"$scratch/check.out" 2>&1; then
        ok 0 "$what"
    else
        ok 1 "$what"
        sed 's/^/#   /' "$scratch/check.out" | head -20
    fi
}
die() { echo "test-deb: $*" >&2; exit 1; }

deb=$(ls build/${pkg}_*.deb 2>/dev/null | tail -n 1)
[ -n "$deb" ] || die "no build/${pkg}_*.deb: run make deb first"

if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'installed'
then
    die "$pkg is installed already: this test installs and purges it," \
        "so it leaves an installed package alone (apt-get purge $pkg first)"
fi

if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null
then
    die "the system's nginx is running: installing a module package" \
        "reloads it (dpkg trigger nginx-reload); stop it yourself first"
fi

unshare --net true 2>/dev/null \
    || die "unshare --net failed: nginx -t of the stock configuration" \
           "would bind port 80 outside a network namespace; run as root"

# nginx -t of the stock configuration, away from the real port 80
stock_t() {
    $sudo unshare --net "$nginx" -t -q
}

scratch=$(mktemp -d /tmp/test-deb.XXXXXX)
nginx_pid=
installed=

cleanup() {
    set +e
    if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -QUIT "$nginx_pid"
        for _ in $(seq 50); do
            kill -0 "$nginx_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$nginx_pid" 2>/dev/null && kill -KILL "$nginx_pid"
    fi
    if [ -n "$installed" ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get purge -y -qq "$pkg" \
            >/dev/null 2>&1
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

echo "test-deb: $deb"


# 1. install

check "nginx -t of the stock configuration before the install" stock_t

DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    "./$deb" >"$scratch/install.log" 2>&1 \
|| { cat "$scratch/install.log"; die "apt-get install ./$deb failed"; }
installed=1
ok 0 "apt-get install ./$deb"

so=/usr/lib/nginx/modules/ngx_http_session_module.so
snippet=/usr/share/nginx/modules-available/mod-http-session.conf
link=/etc/nginx/modules-enabled/50-mod-http-session.conf

check "the module is in /usr/lib/nginx/modules" test -f "$so"
check "the load snippet loads it" \
    grep -qx "load_module modules/ngx_http_session_module.so;" "$snippet"
check "the snippet is enabled in modules-enabled" \
    test "$(readlink "$link")" = "$snippet"
check "Depends: the nginx ABI it was built for" \
    sh -c "dpkg-query -W -f='\${Depends}' $pkg | grep -q \
           \"\$(sed -n 's/^nginx:abi=//p' \
                /usr/share/nginx/src/debian/libnginx-mod.abisubstvars)\""
for lib in libxml2 libpcre2-8-0 libjansson4 libsodium23 libssl3; do
    check "Depends: $lib" \
        sh -c "dpkg-query -W -f='\${Depends}' $pkg | grep -q '$lib'"
done
check "the docs are installed" \
    test -f /usr/share/doc/$pkg/status.md.gz -a -f /usr/share/doc/$pkg/copyright
check "the state directory belongs to www-data, mode 700" \
    test "$(stat -c '%U %a' "$state_dir")" = "www-data 700"


# 2. the stock configuration with the module loaded

check "nginx -t of the stock configuration with the module enabled" stock_t
check "nginx -T shows the module loaded from modules-enabled" \
    sh -c "$sudo unshare --net $nginx -T 2>/dev/null \
           | grep -qx 'load_module modules/ngx_http_session_module.so;'"


# 3. a configuration that uses the directives

mkdir -p "$scratch/logs" "$scratch/tmp"
chmod 755 "$scratch"
# "load_module modules/..." is relative to the prefix: Debian's prefix
# /usr/share/nginx has this same link
ln -s /usr/lib/nginx/modules "$scratch/modules"
state=$state_dir/test-deb-$$.state

cat >"$scratch/nginx.conf" <<EOF
# as an operator writes it: the module comes from modules-enabled
include /etc/nginx/modules-enabled/*.conf;

user www-data;
worker_processes 2;
pid $scratch/nginx.pid;
error_log $scratch/logs/error.log notice;

events {
    worker_connections 256;
}

http {
    access_log off;
    client_body_temp_path $scratch/tmp/body;
    proxy_temp_path $scratch/tmp/proxy;
    fastcgi_temp_path $scratch/tmp/fastcgi;
    uwsgi_temp_path $scratch/tmp/uwsgi;
    scgi_temp_path $scratch/tmp/scgi;

    session_zone zone=smoke:4m timeout=30m keep_closed=5m state=$state;

    map \$session_account \$smoke_admin {
        ops      1;
        default  0;
    }

    server {
        listen 127.0.0.1:$((port + 1));

        location = /login {
            add_header Set-Cookie "SID=\$arg_token";
            add_header X-User \$arg_user;
            return 200 "welcome\n";
        }

        location / {
            return 200 "page\n";
        }
    }

    server {
        listen 127.0.0.1:$port;

        session_key \$cookie_SID;
        session_admin \$smoke_admin;

        location / {
            session_track smoke;
            session_create \$upstream_cookie_SID;
            session_account \$upstream_http_x_user;
            session_var host \$host;
            add_header X-Session \$session_id always;
            proxy_pass http://127.0.0.1:$((port + 1));
        }

        location /service/admin/soap {
            session_dump smoke;
        }

        location = /status {
            session_status smoke;
        }
    }
}
EOF

check "nginx -t of a configuration that uses the directives" \
    $sudo "$nginx" -t -q -p "$scratch" -c "$scratch/nginx.conf"


# 4. the smoke test

start() {
    $sudo "$nginx" -p "$scratch" -c "$scratch/nginx.conf" \
        || die "nginx did not start: $(tail -5 "$scratch/logs/error.log")"
    for _ in $(seq 50); do
        [ -s "$scratch/nginx.pid" ] && break
        sleep 0.1
    done
    nginx_pid=$(cat "$scratch/nginx.pid")
    for _ in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
        sleep 0.1
    done
    die "nginx does not answer on 127.0.0.1:$port"
}

stop() {
    $sudo kill -QUIT "$nginx_pid"
    for _ in $(seq 100); do
        kill -0 "$nginx_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$nginx_pid" 2>/dev/null && die "nginx $nginx_pid did not stop"
    nginx_pid=
}

url=http://127.0.0.1:$port
json() {    # path, perl expression on $_ (the decoded JSON)
    curl -s -b "SID=t-ops" "$url$1" \
        | perl -MJSON::PP -0777 -ne '$_ = decode_json($_); exit !('"$2"')'
}

start
check "the workers run as www-data" \
    sh -c "test \"\$(ps -o user= --ppid $nginx_pid | sort -u)\" = www-data"

sid=$(curl -s -D - -o /dev/null "$url/login?token=t-alice&user=alice" \
      | tr -d '\r' | sed -n 's/^X-Session: //p')
check "a login makes a session: X-Session $sid" \
    sh -c "echo '$sid' | grep -Eqx '[0-9a-f]{32}'"
check "the session is known on the next request" \
    sh -c "curl -s -D - -o /dev/null -b SID=t-alice '$url/inbox' \
           | grep -q 'X-Session: $sid'"
curl -s -o /dev/null "$url/login?token=t-ops&user=ops"
check "the status as ops: two open sessions" \
    json /status '$_->{sessions}{open} == 2 && $_->{zone} eq "smoke"'
check "the status refuses a user: 403" \
    sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' -b SID=t-alice \
                    '$url/status')\" = 403"
check "the dashboard page for a browser" \
    sh -c "curl -s -D - -b SID=t-ops -H 'Accept: text/html' '$url/status' \
           | grep -q '^Content-Security-Policy: default-src'"
check "the Zimbra dump lists alice" \
    sh -c "curl -s -b SID=t-ops '$url/service/admin/soap?listSessions=1&groupByAccount=1' \
           | grep -q '<zid name=\"alice\" id=\"alice\"><s sid=\"$sid\"'"
if [ -x build/tools/promtool ]; then
    check "promtool check metrics on the installed module's metrics" \
        sh -c "curl -s -b SID=t-ops '$url/status?format=prometheus' \
               | build/tools/promtool check metrics"
fi

stop
check "the state file was written by www-data, mode 600" \
    sh -c "test \"\$(stat -c '%U %a' '$state')\" = 'www-data 600'"
start
check "after a restart, the sessions are back from the state file" \
    json /status '$_->{sessions}{open} == 2'
check "and alice's session keeps its id" \
    sh -c "curl -s -D - -o /dev/null -b SID=t-alice '$url/inbox' \
           | grep -q 'X-Session: $sid'"
stop
check "no alert or error in the smoke test's log" \
    sh -c "! grep -E '\\[(alert|crit|emerg|error)\\]' '$scratch/logs/error.log'"
$sudo rm -f "$state" "$state.tmp"


# 5. an operator's own suite against the installed module

echo "test-deb: examples/t/ against $so"
if (unset TEST_NGINX_SESSION_MODULE
    TEST_NGINX_SERVROOT=$scratch/servroot TEST_NGINX_PORT=$((port + 2)) \
        prove examples/t/) >"$scratch/examples.log" 2>&1
then
    ok 0 "examples/t/: $(grep -E '^Files=' "$scratch/examples.log" \
                         | sed 's/, *[0-9]* wallclock.*//')"
else
    ok 1 "examples/t/"
    tail -20 "$scratch/examples.log"
fi


# 6. purge

DEBIAN_FRONTEND=noninteractive $sudo apt-get purge -y -qq "$pkg" \
    >"$scratch/purge.log" 2>&1 \
|| { cat "$scratch/purge.log"; die "apt-get purge $pkg failed"; }
installed=
ok 0 "apt-get purge $pkg"

check "the module is gone" test ! -e "$so"
check "the snippet and its link are gone" \
    sh -c "test ! -e '$snippet' && test ! -L '$link' && test ! -L '$link.removed'"
check "the state directory is gone" test ! -e "$state_dir"
check "nginx -t of the stock configuration after the purge" stock_t

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
