#!/bin/bash
# The module on the nginx versions operators run (make test-matrix):
#
#   1.22  Debian 12's packaged nginx 1.22.1 (/usr/sbin/nginx) and the
#         module built against its nginx-dev: the whole suite
#   1.26  nginx 1.26.3 built from Debian 13 (trixie)'s orig tarball, with
#         Debian 12's configure flags and the static modules its nginx
#         has, and the module built with it: the whole suite
#   1.30  the module compiled with -Werror against the headers and
#         configure scripts of Debian testing (forky)'s nginx-dev 1.30.x;
#         compiled only: forky's nginx binaries need forky's libc, and the
#         1.30 source tarball is not in the archive
#
# One prove summary per version at the end; exits 1 if any version fails.
#
# Usage: util/test-matrix.sh [1.22] [1.26] [1.30]    (default: all three)
#        TESTS="t/001-sanity.t ..." runs only some files of the suite.
#
# The trixie and forky package lists live in a private apt state under
# build/matrix/apt (derived from the machine's own Debian source entry):
# nothing is added to the system's apt sources and nothing is installed
# from trixie or forky.  Everything else is under build/matrix.

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

out=$root/build/matrix
apt_dir=$out/apt
tests=${TESTS:-t/}
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.22 1.26 1.30)

mkdir -p "$out"
summary=()
failed=0

say() { echo "test-matrix: $*"; }


# apt-get with a private state that knows trixie's sources and forky's
# packages only; the entries copy the machine's main-archive stanza
private_apt() {
    apt-get -o Dir::Etc::SourceList=/dev/null \
            -o Dir::Etc::SourceParts="$apt_dir/sources" \
            -o Dir::State::Lists="$apt_dir/lists" \
            -o Dir::State::Status="$apt_dir/status" \
            -o Dir::Cache="$apt_dir/cache" \
            -o Dir::Etc::Preferences=/dev/null \
            -o Dir::Etc::PreferencesParts="$apt_dir/prefs" \
            -o Debug::NoLocking=1 -o APT::Sandbox::User=root \
            "$@"
}

private_apt_setup() {
    local own=/etc/apt/sources.list.d/debian.sources line

    [ -f "$apt_dir/ready" ] \
        && [ -n "$(find "$apt_dir/ready" -mmin -1440)" ] && return 0

    rm -rf "$apt_dir"
    mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/prefs" \
             "$apt_dir/cache/archives/partial"
    : >"$apt_dir/status"

    if [ -f "$own" ]; then
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             /Types: deb/ && /Suites:[^\n]*bookworm([ \n]|$)/ {
                 s = $0
                 gsub(/Suites:[^\n]*/, "Suites: forky", s); print s
                 sub(/Types: deb/, "Types: deb-src")
                 gsub(/Suites:[^\n]*/, "Suites: trixie"); print; exit }' \
            "$own" >"$apt_dir/sources/matrix.sources"
    else
        line=$(grep -hE '^deb [^ ]+ bookworm ' /etc/apt/sources.list \
               2>/dev/null | head -n 1)
        if [ -n "$line" ]; then
            {
                echo "$line" | sed 's/ bookworm / forky /'
                echo "$line" | sed 's/^deb /deb-src /; s/ bookworm / trixie /'
            } >"$apt_dir/sources/matrix.list"
        fi
    fi

    if [ ! -s "$apt_dir/sources/matrix.sources" ] \
       && [ ! -s "$apt_dir/sources/matrix.list" ]
    then
        say "no Debian bookworm source entry to derive trixie and forky from"
        return 1
    fi

    private_apt update -qq >"$out/apt-update.log" 2>&1 \
        || { tail -5 "$out/apt-update.log"; return 1; }
    touch "$apt_dir/ready"
}


# prove's closing lines, kept for the summary; $1 is the label
run_suite() {
    local label=$1 log=$2 status

    say "$label: the suite (log: ${log#"$root"/})"
    # shellcheck disable=SC2086
    { util/run-tests.sh $tests 2>&1; echo $? >"$log.status"; } \
        | tee "$log" | grep --line-buffered -E '^(t/|Files=|Result:)' \
        || true
    status=$(cat "$log.status")

    summary+=("$label: $(grep -E '^Files=' "$log" | tail -n 1 \
                         | sed 's/ wallclock secs.*/ s/'),\
 $(grep -E '^Result:' "$log" | tail -n 1)")
    return "$status"
}


v122() {
    make -s module
    TEST_NGINX_BINARY=/usr/sbin/nginx \
    TEST_NGINX_SESSION_MODULE=$root/build/nginx/objs/ngx_http_session_module.so \
        run_suite "nginx $(/usr/sbin/nginx -v 2>&1 | sed 's|.*/||')" \
                  "$out/1.22.log"
}


# Debian 12's flags, paths under $dir, Debian's static modules, and
# stream and mail
configure_flags() {
    local dir=$1 f
    flags=()

    # shellcheck disable=SC1091
    source /usr/share/nginx/src/conf_flags

    for f in "${NGX_CONF_FLAGS[@]}"; do
        case $f in
            --prefix=*|--conf-path=*|--http-log-path=*|--error-log-path=*\
            |--lock-path=*|--pid-path=*|--modules-path=*|--http-*-temp-path=*)
                ;;
            --with-*=dynamic)
                ;;
            *)
                flags+=("$f")
                ;;
        esac
    done

    for f in $(/usr/sbin/nginx -V 2>&1 | sed -n 's/^configure arguments: //p' \
               | tr ' ' '\n' | grep -E '^--with-[a-z0-9_]+$') \
             --with-http_sub_module --with-http_addition_module \
             --with-http_gunzip_module --with-http_gzip_static_module \
             --with-http_secure_link_module --with-stream \
             --with-stream_ssl_module --with-mail --with-mail_ssl_module
    do
        case " ${flags[*]} " in
            *" $f "*) ;;
            *) flags+=("$f") ;;
        esac
    done

    flags+=(--prefix="$dir" --conf-path="$dir/conf/nginx.conf"
            --error-log-path=stderr --http-log-path="$dir/logs/access.log"
            --pid-path="$dir/logs/nginx.pid"
            --lock-path="$dir/logs/nginx.lock"
            --modules-path="$dir/modules"
            --http-client-body-temp-path="$dir/tmp/body"
            --http-proxy-temp-path="$dir/tmp/proxy"
            --http-fastcgi-temp-path="$dir/tmp/fastcgi"
            --http-uwsgi-temp-path="$dir/tmp/uwsgi"
            --http-scgi-temp-path="$dir/tmp/scgi")
}


v126() {
    local dir=$out/1.26 tarball tree version

    private_apt_setup || return 1

    tarball=$(ls "$dir"/nginx_1.26.*.orig.tar.gz 2>/dev/null | tail -n 1)

    if [ -z "$tarball" ] || ! tar tzf "$tarball" >/dev/null 2>&1; then
        rm -rf "$dir"
        mkdir -p "$dir"
        # only the orig tarball is used: the .dsc and Debian tarball of
        # the newest update may answer 404, so the exit status is not
        (cd "$dir" && private_apt source --download-only nginx/trixie) \
            >"$out/apt-source.log" 2>&1 || true
        rm -f "$dir"/*.dsc "$dir"/*.debian.tar.*
        tarball=$(ls "$dir"/nginx_1.26.*.orig.tar.gz 2>/dev/null | tail -n 1)
        if [ -z "$tarball" ]; then
            tail -5 "$out/apt-source.log"
            say "no nginx_1.26.*.orig.tar.gz from trixie's sources"
            return 1
        fi
    fi

    version=$(basename "$tarball" | sed 's/^nginx_//; s/\.orig\.tar\.gz$//')
    tree=$dir/nginx-$version

    configure_flags "$dir"

    # configure again when the tarball, this script or config changed
    if [ ! -f "$tree/objs/Makefile" ] || [ ! -f "$dir/configure.stamp" ] \
       || [ "$root/config" -nt "$dir/configure.stamp" ] \
       || [ "$0" -nt "$dir/configure.stamp" ]
    then
        say "nginx $version: configuring (log: build/matrix/1.26/configure.log)"
        rm -rf "$tree"
        tar xzf "$tarball" -C "$dir"
        (cd "$tree" && ./configure "${flags[@]}" \
            --with-cc-opt="$(dpkg-buildflags --get CFLAGS) -fPIC\
 $(dpkg-buildflags --get CPPFLAGS) -Werror" \
            --with-ld-opt="$(dpkg-buildflags --get LDFLAGS) -fPIC" \
            --add-dynamic-module="$root") >"$dir/configure.log" 2>&1 \
        || { tail -20 "$dir/configure.log"; return 1; }
        touch "$dir/configure.stamp"
    fi

    say "nginx $version: building (log: build/matrix/1.26/make.log)"
    make -C "$tree" -f objs/Makefile -j"$(nproc)" binary modules \
        >"$dir/make.log" 2>&1 \
    || { grep -E 'error|Error' "$dir/make.log" | head -20; return 1; }

    mkdir -p "$dir/logs" "$dir/conf" "$dir/tmp" "$dir/modules"

    TEST_NGINX_BINARY=$tree/objs/nginx \
    TEST_NGINX_SESSION_MODULE=$tree/objs/ngx_http_session_module.so \
        run_suite "nginx $version" "$out/1.26.log"
}


v130() {
    local dir=$out/1.30 deb src version n

    private_apt_setup || return 1

    rm -rf "$dir"
    mkdir -p "$dir"

    (cd "$dir" && private_apt download nginx-dev/forky) \
        >"$out/apt-download.log" 2>&1 \
    || { tail -5 "$out/apt-download.log"; return 1; }

    deb=$(ls "$dir"/nginx-dev_*_all.deb)
    dpkg-deb -x "$deb" "$dir/root"
    src=$dir/root/usr/share/nginx/src
    version=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' \
              "$src/src/core/nginx.h")

    say "nginx $version: the module against forky's nginx-dev" \
        "($(basename "$deb")), -Werror"

    # forky's own configure flags, with the compiler flags Debian builds
    # modules with (dpkg-buildflags, as dh's nginx_mod does) and -Werror
    (cd "$src" && bash -c 'source ./conf_flags
        ./configure "${NGX_CONF_FLAGS[@]}" \
            --with-cc-opt="$(dpkg-buildflags --get CFLAGS) -fPIC \
                $(dpkg-buildflags --get CPPFLAGS) -Werror" \
            --add-dynamic-module="$1"' configure "$root") \
        >"$dir/configure.log" 2>&1 \
    || { tail -20 "$dir/configure.log"
         summary+=("nginx $version: configure failed, Result: FAIL")
         return 1; }

    if make -C "$src" -f objs/Makefile modules >"$dir/make.log" 2>&1; then
        n=$(ls "$src"/objs/addon/ngx_http_session_module/*.o | wc -l)
        summary+=("nginx $version: compiled with -Werror, $n files, no warning,\
 Result: PASS (not run: forky's binaries need forky's libc)")
        return 0
    fi

    grep -E 'error|warning' "$dir/make.log" | head -30
    summary+=("nginx $version: compile with -Werror, Result: FAIL\
 (log: build/matrix/1.30/make.log)")
    return 1
}


for v in "${versions[@]}"; do
    case $v in
        1.22|1.22.*) v122 || failed=1 ;;
        1.26|1.26.*) v126 || failed=1 ;;
        1.30|1.30.*) v130 || failed=1 ;;
        *) echo "usage: $0 [1.22] [1.26] [1.30]" >&2; exit 2 ;;
    esac
done

echo
for line in "${summary[@]}"; do
    say "$line"
done

if [ $failed -ne 0 ]; then
    say "FAIL"
    exit 1
fi

say "PASS (${versions[*]})"
