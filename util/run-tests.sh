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
        reports=$root/build/asan/report
        # Test::Nginx appends each block's name to log_path, so a report
        # file names its test (report-001-sanity-t2.PID); UBSan shares
        # ASan's report file, so UBSAN_OPTIONS must not set log_path
        export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=0:log_path=$reports}
        export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:suppressions=$root/util/ubsan.supp}
        rm -f "$reports"*
        status=0
        prove -I. -r "$@" || status=$?
        failed=0
        if ls "$reports"* >/dev/null 2>&1; then
            perl util/sanitizer-reports.pl "$reports"* || failed=1
        fi
        if [ $failed -eq 1 ]; then
            echo "test-asan: FAIL: sanitizer reports (files: build/asan/report*)"
            exit 1
        fi
        [ $status -eq 0 ] \
            && echo "test-asan: PASS: no ASan/UBSan report, no leak in the module" \
            || echo "test-asan: FAIL: tests failed (prove exit $status)"
        exit $status
        ;;
esac

exec prove -I. -r "$@"
