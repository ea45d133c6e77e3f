#!/bin/bash
# Runs the Test::Nginx suite (make test, make test-valgrind, make
# test-asan).  Usage: run-tests.sh [--valgrind|--asan] [t/FILE.t ...]

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=plain
case "$1" in
    --valgrind) mode=valgrind; shift ;;
    --asan) mode=asan; shift ;;
esac

[ $# -gt 0 ] || set -- t/

export TEST_NGINX_SESSION_MODULE=${TEST_NGINX_SESSION_MODULE:-$root/build/nginx/objs/ngx_http_session_module.so}
export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
export TEST_NGINX_REUSE_PORT=1

case $mode in
    valgrind)
        export TEST_NGINX_USE_VALGRIND=1
        exec util/valgrind-check.sh "$@"
        ;;
    asan)
        export TEST_NGINX_BINARY=$root/build/asan/sbin/nginx
        export TEST_NGINX_SESSION_MODULE=$root/build/asan/modules/ngx_http_session_module.so
        export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:log_path=$root/build/asan/report}
        export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:log_path=$root/build/asan/report}
        rm -f "$root"/build/asan/report*
        status=0
        prove -I. -r "$@" || status=$?
        if ls "$root"/build/asan/report* >/dev/null 2>&1; then
            echo "sanitizer reports:"
            cat "$root"/build/asan/report*
            exit 1
        fi
        exit $status
        ;;
esac

exec prove -I. -r "$@"
