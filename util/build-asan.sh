#!/bin/bash
# Builds nginx 1.22.1 and the module with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang 14) into build/asan/:
#
#   build/asan/sbin/nginx                              the server
#   build/asan/modules/ngx_http_session_module.so      the module
#   build/asan/nginx-1.22.1/                           the build tree
#                                                      (fuzz/ links its
#                                                      objects)
#
# The source is Debian's: the orig tarball of the nginx source package
# (the upstream 1.22.1 release), fetched once into build/.  The configure
# flags are Debian's (/usr/share/nginx/src/conf_flags), with paths moved
# under build/asan so the server touches nothing of the system's nginx,
# plus the static modules /usr/sbin/nginx -V shows and conf_flags omits.
#
# Every pool allocation is its own malloc (NGX_DEBUG_PALLOC), so ASan
# sees an overrun of any buffer taken from a pool, not only of the pool.
# NGX_HAVE_NONALIGNED=0 keeps nginx's hash from unaligned loads, which
# UBSan would report on every request.
#
# Usage: util/build-asan.sh        (run by make test-asan and make fuzz)

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
out=$build/asan
version=1.22.1
tarball=$build/nginx_$version.orig.tar.gz
tree=$out/nginx-$version
cc=${ASAN_CC:-clang-14}

sanitize="-fsanitize=address,undefined"
sanitize="$sanitize -fno-omit-frame-pointer -fno-optimize-sibling-calls"

cc_opt="-g -O1 $sanitize -DNGX_HAVE_NONALIGNED=0 -DNGX_DEBUG_PALLOC=1"
cc_opt="$cc_opt -I/usr/include/libxml2"
# nginx unloads its modules when a worker exits, before LeakSanitizer
# looks: a module marked nodelete stays mapped, so leak stacks name it.
# A dynamic module has its own ngx_modules[] and ngx_module_names[];
# bound to the executable's arrays of the same names, its ASan global
# descriptors would poison all but their first bytes, and the reload
# that copies ngx_modules[] would be reported: -Bsymbolic binds them
# to the module's own, as dlsym() does.
ld_opt="$sanitize -Wl,-z,nodelete -Wl,-Bsymbolic"


fetch_source() {
    local dir

    if [ -s "$tarball" ] && tar tzf "$tarball" >/dev/null 2>&1; then
        return 0
    fi

    dir=$(mktemp -d "$build/apt-source.XXXXXX")

    # Only the orig tarball is used: the .dsc or Debian patches of the
    # newest security update may be missing from the archive while the
    # tarball, shared by every Debian revision, downloads fine.  So the
    # exit status of apt-get source does not matter, the tarball does.
    (cd "$dir" && apt-get source --download-only nginx) \
        >"$build/apt-source.log" 2>&1 || true

    if [ ! -s "$dir/nginx_$version.orig.tar.gz" ]; then
        # an outdated package list: refresh it once and retry
        apt-get update -qq >>"$build/apt-source.log" 2>&1 || true
        (cd "$dir" && apt-get source --download-only nginx) \
            >>"$build/apt-source.log" 2>&1 || true
    fi

    if [ ! -s "$dir/nginx_$version.orig.tar.gz" ]; then
        tail -20 "$build/apt-source.log" >&2
        rm -rf "$dir"
        echo "build-asan: no nginx_$version.orig.tar.gz from" \
             "'apt-get source nginx' (is there a deb-src entry?)" >&2
        exit 1
    fi

    mv "$dir/nginx_$version.orig.tar.gz" "$tarball"
    rm -rf "$dir"
}


configure() {
    local flags=() f

    # shellcheck disable=SC1091
    source /usr/share/nginx/src/conf_flags

    for f in "${NGX_CONF_FLAGS[@]}"; do
        case $f in
            # paths: all under build/asan
            --prefix=*|--conf-path=*|--http-log-path=*|--error-log-path=*\
            |--lock-path=*|--pid-path=*|--modules-path=*|--http-*-temp-path=*)
                ;;
            # Debian's dynamic modules need libraries the tests do not:
            # left out rather than installed
            --with-*=dynamic)
                ;;
            *)
                flags+=("$f")
                ;;
        esac
    done

    # conf_flags is what a module needs to be compatible; Debian's nginx
    # also has static modules it does not list (sub, addition, gunzip ...)
    # that tests may use: those come from what /usr/sbin/nginx says
    for f in $(/usr/sbin/nginx -V 2>&1 | sed -n 's/^configure arguments: //p' \
               | tr ' ' '\n' | grep -E '^--with-[a-z0-9_]+$'); do
        case " ${flags[*]} " in
            *" $f "*) ;;
            *) flags+=("$f") ;;
        esac
    done

    rm -rf "$tree"
    mkdir -p "$out"
    tar xzf "$tarball" -C "$out"

    (cd "$tree" && ./configure \
        --with-cc="$cc" \
        --with-cc-opt="$cc_opt" \
        --with-ld-opt="$ld_opt" \
        --prefix="$out" \
        --conf-path="$out/conf/nginx.conf" \
        --error-log-path=stderr \
        --http-log-path="$out/logs/access.log" \
        --pid-path="$out/logs/nginx.pid" \
        --lock-path="$out/logs/nginx.lock" \
        --modules-path="$out/modules" \
        --http-client-body-temp-path="$out/tmp/body" \
        --http-proxy-temp-path="$out/tmp/proxy" \
        --http-fastcgi-temp-path="$out/tmp/fastcgi" \
        --http-uwsgi-temp-path="$out/tmp/uwsgi" \
        --http-scgi-temp-path="$out/tmp/scgi" \
        "${flags[@]}" \
        --add-dynamic-module="$root") >"$out/configure.log" 2>&1 \
    || { tail -30 "$out/configure.log" >&2; exit 1; }

    printf '%s\n' "$cc_opt" "$ld_opt" "${flags[@]}" >"$out/configure.stamp"
}


mkdir -p "$build"
fetch_source

# configure again when the module's config (its list of sources), this
# script or the tarball changed; otherwise make rebuilds what changed
if [ ! -f "$tree/objs/Makefile" ] || [ ! -f "$out/configure.stamp" ] \
   || [ "$root/config" -nt "$out/configure.stamp" ] \
   || [ "$0" -nt "$out/configure.stamp" ] \
   || [ "$tarball" -nt "$out/configure.stamp" ]
then
    echo "build-asan: configuring nginx $version with $cc" \
         "(-fsanitize=address,undefined)"
    configure
fi

echo "build-asan: building (log: build/asan/make.log)"
make -C "$tree" -f objs/Makefile -j"$(nproc)" binary modules \
    >"$out/make.log" 2>&1 \
|| { grep -E 'error|Error' "$out/make.log" | head -30 >&2; exit 1; }

mkdir -p "$out/sbin" "$out/modules" "$out/logs" "$out/conf" "$out/tmp"
cp "$tree/objs/nginx" "$out/sbin/nginx.new"
mv -f "$out/sbin/nginx.new" "$out/sbin/nginx"
cp "$tree/objs/ngx_http_session_module.so" \
   "$out/modules/ngx_http_session_module.so.new"
mv -f "$out/modules/ngx_http_session_module.so.new" \
      "$out/modules/ngx_http_session_module.so"

"$out/sbin/nginx" -V 2>&1 | head -1
echo "build-asan: $out/sbin/nginx, $out/modules/ngx_http_session_module.so"
