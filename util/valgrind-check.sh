#!/bin/bash
# Runs the Test::Nginx suite with every nginx process under valgrind's
# memcheck (TEST_NGINX_USE_VALGRIND=1, Debian's nginx and the module
# built by make module) and fails on
#
#   - any memcheck error (invalid read/write, uninitialised value, bad
#     free, a crash), wherever it is;
#   - any definite or indirect leak with a frame of the module;
#   - a failing test.
#
# Test::Nginx prints valgrind's reports without failing a test, so this
# script keeps all the output (build/valgrind/prove.log) and reads it
# (util/valgrind-report.pl).  valgrind.suppress, in the top folder where
# Test::Nginx finds it, keeps nginx core's own known leaks out.
#
# Usage: util/valgrind-check.sh [t/FILE.t ...]     (default: $TESTS or t/)
#        make test-valgrind TESTS="t/001-sanity.t t/010-x.t"
#        VALGRIND_SKIP="t/500-*.t t/9*.t" (files the whole suite leaves out;
#        VALGRIND_SKIP= runs them all)
# Every test block starts nginx under valgrind (seconds each): CI runs a
# bounded set of files through TESTS.

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

[ $# -gt 0 ] || set -- ${TESTS:-t/}

# Files that drive nginx's processes themselves (kill -9, binary upgrade)
# or count on its once-a-second state saves do not fit Test::Nginx's
# valgrind mode (nginx in the foreground under valgrind, many times
# slower): the whole suite leaves them out; name one to run it anyway.
skip=${VALGRIND_SKIP-t/500-state*.t}

if [ $# -eq 1 ] && { [ "$1" = t/ ] || [ "$1" = t ]; } && [ -n "$skip" ]; then
    files=()
    left=()
    for f in t/*.t; do
        for pat in $skip; do
            # shellcheck disable=SC2053
            if [[ $f == $pat ]]; then
                left+=("$f")
                continue 2
            fi
        done
        files+=("$f")
    done
    set -- "${files[@]}"
    [ ${#left[@]} -eq 0 ] \
        || echo "valgrind-check: left out (VALGRIND_SKIP): ${left[*]}"
fi

export TEST_NGINX_USE_VALGRIND=${TEST_NGINX_USE_VALGRIND:-1}
export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
export TEST_NGINX_SESSION_MODULE=${TEST_NGINX_SESSION_MODULE:-$root/build/nginx/objs/ngx_http_session_module.so}
export TEST_NGINX_REUSE_PORT=1

command -v valgrind >/dev/null \
    || { echo "valgrind-check: valgrind is not installed" \
              "(util/install-deps.sh valgrind)" >&2; exit 2; }
[ -f valgrind.suppress ] \
    || { echo "valgrind-check: no valgrind.suppress in $root" >&2; exit 2; }

out=$root/build/valgrind
mkdir -p "$out"
log=$out/prove.log

echo "valgrind-check: $* under valgrind (full output: build/valgrind/prove.log)"

# prove's own lines as they come, valgrind's reports and Test::Nginx's
# block names only into the log
set +e
prove -I. -r "$@" 2>&1 | tee "$log" \
    | grep --line-buffered -vE '^==[0-9]+==|^t/.*\.t TEST [0-9]+: |^[{}]$|^   '
status=${PIPESTATUS[0]}
set -e

echo
report=0
perl util/valgrind-report.pl "$log" || report=$?

if [ $report -ne 0 ]; then
    echo "test-valgrind: FAIL: valgrind reports above (log: build/valgrind/prove.log)"
    exit 1
fi

if [ "$status" -ne 0 ]; then
    echo "test-valgrind: FAIL: tests failed under valgrind (prove exit $status)"
    exit 1
fi

blocks=$(grep -cE '^t/.*\.t TEST [0-9]+: ' "$log" || true)
echo "test-valgrind: PASS: $blocks test block(s) under valgrind, no memcheck" \
     "error, no leak in the module"
