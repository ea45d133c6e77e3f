#!/bin/bash
# Builds every libFuzzer harness fuzz/fuzz_NAME.c into fuzz/bin/NAME.
#
# Each harness links:
#   - the module's sources (all of ngx_http_session_module/*.c), compiled
#     here with clang 14 and -fsanitize=fuzzer-no-link,address,undefined,
#     so libFuzzer sees the module's coverage;
#   - nginx core's objects from the sanitizer build (util/build-asan.sh,
#     build/asan/nginx-1.22.1/objs), with nginx's main() renamed away, so
#     pools, ngx_http_arg(), ngx_inet_addr() ... are the real ones;
#   - fuzz/fuzz_common.c: pools, a log, a fake request, UTF-8 checks.
#
# So a new harness is one file, fuzz/fuzz_NAME.c, defining
# LLVMFuzzerTestOneInput(); seeds for it are one line in fuzz/seeds.sh.
#
# Usage: fuzz/build.sh [NAME ...]       (default: every fuzz/fuzz_*.c)

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz=$root/fuzz
tree=$root/build/asan/nginx-1.22.1
bin=$fuzz/bin
obj=$bin/obj
cc=${FUZZ_CC:-clang-14}

[ -f "$tree/objs/Makefile" ] && [ -f "$tree/objs/nginx" ] \
    || { echo "fuzz/build.sh: no sanitizer build in $tree:" \
              "run util/build-asan.sh first" >&2; exit 1; }

mkdir -p "$obj"

# nginx's own flags for this build (warnings as errors, -DNGX_DEBUG_PALLOC
# ...), with libFuzzer's coverage added to the sanitizers; a UBSan report
# is a crash here
cflags=$(sed -n 's/^CFLAGS = *//p' "$tree/objs/Makefile")
cflags=${cflags//-fsanitize=address,undefined/-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined}
# the store's consistency check, ngx_http_session_check(), for fuzz/store
cflags="$cflags -DNGX_HTTP_SESSION_CHECK=1"
incs="-I $tree/src/core -I $tree/src/event -I $tree/src/event/modules"
incs="$incs -I $tree/src/os/unix -I $tree/objs -I $tree/src/http"
incs="$incs -I $tree/src/http/modules -I $tree/src/http/v2"
incs="$incs -I /usr/include/libxml2 -I $root/ngx_http_session_module -I $fuzz"
libs=$(grep -o -- ' -l[^ \\]*' "$tree/objs/Makefile" | sort -u | tr -d '\n')

# nginx core: the objects of objs/nginx, main() renamed in nginx.o
core=()
for o in $(awk '/^objs\/nginx:/,/^$/' "$tree/objs/Makefile" \
           | grep -o 'objs/[^[:space:]:]*\.o'); do
    if [ "$o" = objs/src/core/nginx.o ]; then
        if [ ! -f "$obj/nginx-nomain.o" ] \
           || [ "$tree/$o" -nt "$obj/nginx-nomain.o" ]; then
            objcopy --redefine-sym main=ngx_fuzz_nginx_main \
                "$tree/$o" "$obj/nginx-nomain.o"
        fi
        core+=("$obj/nginx-nomain.o")
    else
        core+=("$tree/$o")
    fi
done

compile() {   # source object
    if [ ! -f "$2" ] || [ "$1" -nt "$2" ] \
       || [ -n "$(find "$root/ngx_http_session_module" -name '*.h' \
                       -newer "$2")" ] \
       || [ "$fuzz/fuzz_common.h" -nt "$2" ] || [ "$0" -nt "$2" ]
    then
        # shellcheck disable=SC2086
        $cc -c $cflags $incs -o "$2" "$1"
    fi
}

mods=()
for src in "$root"/ngx_http_session_module/*.c; do
    o=$obj/module-$(basename "$src" .c).o
    compile "$src" "$o"
    mods+=("$o")
done

compile "$fuzz/fuzz_common.c" "$obj/fuzz_common.o"

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for f in "$fuzz"/fuzz_*.c; do
        n=$(basename "$f" .c)
        n=${n#fuzz_}
        [ "$n" = common ] || names+=("$n")
    done
fi

for n in "${names[@]}"; do
    compile "$fuzz/fuzz_$n.c" "$obj/fuzz_$n.o"
    # shellcheck disable=SC2086
    $cc -g -fsanitize=fuzzer,address,undefined -o "$bin/$n.new" \
        "$obj/fuzz_$n.o" "$obj/fuzz_common.o" "${mods[@]}" "${core[@]}" \
        $libs
    mv -f "$bin/$n.new" "$bin/$n"
    echo "fuzz/build.sh: fuzz/bin/$n"
done
