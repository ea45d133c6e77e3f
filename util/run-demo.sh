#!/bin/sh
# Serves examples/demo.conf in the foreground (make run).

set -e

module=$(cd "$(dirname "${1:?usage: run-demo.sh MODULE.so}")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=$root/build/demo
nginx=${NGINX_BIN:-/usr/sbin/nginx}

mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/state"

# worker 0 writes the state file there: as root, workers run as nobody
if [ "$(id -u)" = 0 ]; then
    chown nobody "$prefix/state"
fi
sed -e "s|@MODULE@|$module|g" -e "s|@PREFIX@|$prefix|g" \
    "$root/examples/demo.conf" > "$prefix/conf/nginx.conf"

"$nginx" -p "$prefix" -c conf/nginx.conf -t -q

cat <<TXT

ngx_http_session_module demo: http://127.0.0.1:8080/  (Ctrl-C stops it)

  log in, keep the cookie, see your session id in X-Session:
    curl -i -c jar 'http://127.0.0.1:8080/login?user=alice'
    curl -i -b jar http://127.0.0.1:8080/
  log in as admin (in a second jar) and look at every session:
    curl -s -c admin 'http://127.0.0.1:8080/login?user=admin' >/dev/null
    curl -b admin 'http://127.0.0.1:8080/service/admin/soap/?listSessions=1&groupByAccount=1'
    curl -b admin -H 'Accept: application/json' 'http://127.0.0.1:8080/session-status'
  the live dashboard, in a browser: open http://127.0.0.1:8080/login?user=admin
  (it sets the admin's cookie), then http://127.0.0.1:8080/session-status
  your own session, Hornbill style, and your sessions, Commvault style:
    curl -b jar -X POST 'http://127.0.0.1:8080/xmlmc/session/?method=getSessionInfo'
    curl -b jar 'http://127.0.0.1:8080/commandcenter/api/Session?userId=alice'
  log out:
    curl -i -b jar http://127.0.0.1:8080/logout

TXT

exec "$nginx" -p "$prefix" -c conf/nginx.conf -g 'daemon off;'
