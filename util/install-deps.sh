#!/bin/sh
# Install what the build, the tests and the benchmark need on Debian 12.
# Idempotent: every step is skipped when its result is already present.
# Usage: util/install-deps.sh [build|test|valgrind|bench|asan|fuzz|matrix|
#                              deb|all]

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-test}
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

apt_updated=
apt_install() {
    missing=
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'ok installed' || missing="$missing $p"
    done
    [ -n "$missing" ] || return 0
    if [ -z "$apt_updated" ]; then
        $sudo apt-get update -qq
        apt_updated=1
    fi
    echo "install-deps: installing$missing"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends $missing
}

# Debian 12 has no libtest-nginx-perl; forky (testing) has it and it
# installs cleanly on bookworm.  The source entry is derived from the
# machine's own main-archive stanza so no mirror is hard-coded here, and
# a pin keeps everything else on bookworm.
forky_source() {
    src=/etc/apt/sources.list.d/ngx-session-forky.sources
    pin=/etc/apt/preferences.d/ngx-session-forky
    [ -f "$src" ] && return 0

    own=/etc/apt/sources.list.d/debian.sources
    if [ -f "$own" ]; then
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             /Types: deb/ && /Suites:[^\n]*bookworm([ \n]|$)/ {
                 gsub(/Suites:[^\n]*/, "Suites: forky"); print; exit }' \
            "$own" | $sudo tee "$src" >/dev/null
    else
        line=$(grep -hE '^deb [^ ]+ bookworm ' /etc/apt/sources.list \
               2>/dev/null | head -n 1)
        [ -n "$line" ] || { echo "install-deps: no bookworm source" >&2;
                            exit 1; }
        src=/etc/apt/sources.list.d/ngx-session-forky.list
        echo "$line" | sed 's/ bookworm / forky /' \
            | $sudo tee "$src" >/dev/null
    fi
    printf 'Package: *\nPin: release n=forky\nPin-Priority: 100\n' \
        | $sudo tee "$pin" >/dev/null
    apt_updated=
}

# The sanitizer build compiles nginx itself from Debian's source package:
# a deb-src entry mirroring the machine's own main-archive stanza, in a
# file of its own, so no mirror is hard-coded here either.
src_source() {
    src=/etc/apt/sources.list.d/ngx-session-src.sources
    own=/etc/apt/sources.list.d/debian.sources

    [ -f "$src" ] || [ -f "${src%.sources}.list" ] && return 0

    if [ -f "$own" ]; then
        grep -q '^Types:.*deb-src' "$own" && return 0
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             /Types: deb/ && /Suites:[^\n]*bookworm([ \n]|$)/ {
                 sub(/Types: deb/, "Types: deb-src"); print; exit }' \
            "$own" | $sudo tee "$src" >/dev/null
        [ -s "$src" ] || { $sudo rm -f "$src";
                           echo "install-deps: no bookworm source" >&2;
                           exit 1; }
    else
        grep -qsE '^deb-src [^ ]+ bookworm ' /etc/apt/sources.list \
            && return 0
        line=$(grep -hE '^deb [^ ]+ bookworm ' /etc/apt/sources.list \
               2>/dev/null | head -n 1)
        [ -n "$line" ] || { echo "install-deps: no bookworm source" >&2;
                            exit 1; }
        echo "$line" | sed 's/^deb /deb-src /' \
            | $sudo tee "${src%.sources}.list" >/dev/null
    fi

    $sudo apt-get update -qq
    apt_updated=1
}

build_deps() {
    apt_install nginx nginx-dev libxml2-dev libsodium-dev libpcre2-dev libjansson-dev \
        libhiredis-dev libssl-dev \
        gcc make libxml2-utils
}

# The fleet's tests start their own redis-server on a loopback port and
# stop it by pid: the packaged service is not wanted.  Debian starts it
# on install unless a policy-rc.d says no; if the install started it
# anyway, it is stopped and disabled again.  Bookworm's redis-server
# (7.0) only: never another suite's valkey or redis.
engine_deps() {
    dpkg-query -W -f='${Status}' redis-server 2>/dev/null \
        | grep -q 'ok installed' && return 0

    # the packaged service's pid file: other redis-servers on the
    # machine (tests of others) are none of this script's business
    pidfile=/run/redis/redis-server.pid
    running=
    [ -s $pidfile ] && running=1

    policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d \
            >/dev/null
        $sudo chmod 755 /usr/sbin/policy-rc.d
        policy=1
    fi

    apt_install redis-server redis-tools || { [ -z "$policy" ] \
        || $sudo rm -f /usr/sbin/policy-rc.d; exit 1; }

    [ -z "$policy" ] || $sudo rm -f /usr/sbin/policy-rc.d

    if [ -z "$running" ] && [ -s $pidfile ]; then
        echo "install-deps: stopping the redis-server the install started"
        if command -v systemctl >/dev/null 2>&1 \
           && [ -d /run/systemd/system ]; then
            $sudo systemctl stop redis-server || true
            $sudo systemctl disable redis-server || true
        else
            $sudo service redis-server stop || true
            $sudo update-rc.d redis-server disable >/dev/null 2>&1 || true
        fi
    fi
}

# promtool, from Debian's prometheus package, unpacked into build/tools:
# the server itself is not installed
promtool_dep() {
    tools=$root/build/tools
    [ -x "$tools/promtool" ] && return 0
    rm -rf "$tools/dl"
    mkdir -p "$tools/dl"
    if ! (cd "$tools/dl" && apt-get download prometheus >/dev/null 2>&1)
    then
        $sudo apt-get update -qq
        apt_updated=1
        (cd "$tools/dl" && apt-get download prometheus)
    fi
    dpkg-deb --fsys-tarfile "$tools"/dl/prometheus_*.deb \
        | tar -xO ./usr/bin/promtool >"$tools/promtool.new"
    chmod 755 "$tools/promtool.new"
    mv "$tools/promtool.new" "$tools/promtool"
    rm -rf "$tools/dl"
    echo "install-deps: $("$tools/promtool" --version 2>&1 | head -n 1)"
}

test_deps() {
    build_deps
    engine_deps
    # the suite checks pages in a real browser (chromium over WebDriver)
    # and metrics with promtool
    apt_install perl libjson-pp-perl libxml-libxml-perl curl \
        chromium chromium-driver fonts-dejavu-core
    promtool_dep
    if ! perl -MTest::Nginx::Socket -e1 2>/dev/null; then
        forky_source
        if [ -z "$apt_updated" ]; then
            $sudo apt-get update -qq
            apt_updated=1
        fi
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
            --no-install-recommends libtest-nginx-perl/forky
    fi
}

# clang 14 with its sanitizer and libFuzzer runtimes, the libraries of
# Debian's configure flags, and the nginx source entry
asan_deps() {
    build_deps
    apt_install clang-14 libclang-rt-14-dev zlib1g-dev libssl-dev \
        xz-utils dpkg-dev binutils
    src_source
}

case "$what" in
    build) build_deps ;;
    test) test_deps ;;
    valgrind) test_deps; apt_install valgrind ;;
    # the Lua peer of bench/peers: bookworm's packages (ndk, lua-resty-core
    # and lua-resty-lrucache come as dependencies; forky's stays pinned low)
    bench) test_deps; apt_install wrk gnuplot-nox procps \
               libnginx-mod-http-lua lua-cjson ;;
    asan) test_deps; asan_deps ;;
    matrix) test_deps; apt_install libssl-dev zlib1g-dev dpkg-dev xz-utils ;;
    deb) build_deps
         apt_install debhelper dpkg-dev lintian build-essential util-linux
         # the Build-Depends of debian/control
         DEBIAN_FRONTEND=noninteractive $sudo apt-get build-dep -y -qq \
             "$root" >/dev/null ;;
    fuzz) asan_deps ;;
    all) test_deps; apt_install valgrind wrk gnuplot-nox clang-14 \
             libclang-rt-14-dev ;;
    *) echo "usage: $0 [build|test|valgrind|bench|asan|fuzz|matrix|deb|all]" >&2
       exit 2 ;;
esac
