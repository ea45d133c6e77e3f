#!/bin/bash
# Builds the Debian package libnginx-mod-http-session into build/ (make
# deb): a copy of the checkout's files (git ls-files, so nothing built or
# left over goes in) is built with dpkg-buildpackage -b, the way Debian
# builds its own nginx modules (debian/rules: dh --with nginx
# --buildsystem=nginx_mod), then lintian reads the result.  The build
# dependencies of debian/control are installed first.
#
# Usage: util/build-deb.sh     (build/libnginx-mod-http-session_*.deb)

set -e

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build
work=$out/deb

"$root/util/install-deps.sh" deb

rm -rf "$work"
mkdir -p "$work/src"
rm -f "$out"/libnginx-mod-http-session*_*.deb

# the checkout's own files, as a clean clone has them (with any local
# changes to them), and nothing else
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}"' \
        | tar --null -T - -cf -) | tar -xf - -C "$work/src"
else
    (cd "$root" && tar --exclude=./build --exclude='./t/servroot*' \
        -cf - .) | tar -xf - -C "$work/src"
fi

echo "build-deb: dpkg-buildpackage -b (log: build/deb/build.log)"
(cd "$work/src" && dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1 \
|| { grep -E 'error|Error|dh_.*failed' "$work/build.log" | head -30
     tail -20 "$work/build.log"; exit 1; }

cp "$work"/libnginx-mod-http-session_*.deb "$out/"
deb=$(ls "$out"/libnginx-mod-http-session_*.deb)

echo "build-deb: $deb"
dpkg-deb --field "$deb" Package Version Architecture Depends
echo "build-deb: lintian (overrides with their reasons:" \
     "debian/libnginx-mod-http-session.lintian-overrides)"
lintian --info --display-info --pedantic "$work"/*.changes \
    | tee "$work/lintian.log"
if grep -qE '^[EWIP]: ' "$work/lintian.log"; then
    echo "build-deb: lintian reports the tags above"
    exit 1
fi
echo "build-deb: lintian: no tag"
