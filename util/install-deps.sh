#!/bin/sh
# Install what the build, the tests and the benchmark need on Debian 12.
# Idempotent: every step is skipped when its result is already present.
# Usage: util/install-deps.sh [build|test|valgrind|bench|asan|fuzz|all]

set -e

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
        libssl-dev \
        gcc make libxml2-utils
}

test_deps() {
    build_deps
    apt_install perl libjson-pp-perl libxml-libxml-perl curl
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
    bench) test_deps; apt_install wrk gnuplot-nox procps ;;
    asan) test_deps; asan_deps ;;
    fuzz) asan_deps ;;
    all) test_deps; apt_install valgrind wrk gnuplot-nox clang-14 \
             libclang-rt-14-dev ;;
    *) echo "usage: $0 [build|test|valgrind|bench|asan|fuzz|all]" >&2
       exit 2 ;;
esac
