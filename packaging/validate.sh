#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Validates the desktop integration files with the distribution's own tools.
# Exits 77 (CTest's skip code here) when the tool is not installed.
#   validate.sh desktop FILE.desktop
#   validate.sh metainfo FILE.metainfo.xml
#   validate.sh mime FILE.xml
#   validate.sh man FILE.1...
#   validate.sh installed BUILD_DIR   (installs into a temporary prefix, validates the
#                                    tree and runs the installed CLI on the bundled demo)
set -eu
kind=$1
shift

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed"; exit 77; }
}

case $kind in
desktop)
    need desktop-file-validate
    # Hints are advice (Network and Education are both main categories on purpose);
    # errors and warnings fail.
    out=$(desktop-file-validate "$1" 2>&1) || { echo "$out"; exit 1; }
    echo "$out"
    if echo "$out" | grep -E ': (error|warning):' >/dev/null; then exit 1; fi
    ;;
metainfo)
    need appstreamcli
    appstreamcli validate --no-net --explain "$1"
    ;;
installed)
    need appstreamcli
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    cmake --install "$1" --prefix "$root/usr" >/dev/null
    appstreamcli validate-tree --no-net --explain "$root"
    cli=$root/usr/bin/stackscope-cli
    demo=$root/usr/share/stackscope/demo
    "$cli" --version
    # The demo has drops of its own; an empty table would mean the capture never ran.
    out=$("$cli" run "$demo/demo.scn" --rx eth0="$demo/demo.pcap" --show drops)
    echo "$out"
    echo "$out" | grep -q '^total' || { echo "no drop table from the installed demo"; exit 1; }
    for f in share/man/man1/stackscope-cli.1.gz share/doc/stackscope/copyright \
             share/doc/stackscope/changelog.Debian.gz; do
        [ -f "$root/usr/$f" ] || { echo "missing /usr/$f"; exit 1; }
    done
    ;;
mime)
    need xmllint
    xmllint --noout "$1"
    need update-mime-database
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/mime/packages"
    cp "$1" "$tmp/mime/packages/"
    out=$(XDG_DATA_HOME=$tmp XDG_DATA_DIRS=$tmp update-mime-database "$tmp/mime" 2>&1)
    if [ -n "$out" ]; then echo "$out"; exit 1; fi
    for type in text/x-stackscope-scenario application/x-pcapng; do
        [ -f "$tmp/mime/$type.xml" ] || { echo "$type was not registered"; exit 1; }
    done
    ;;
man)
    need groff
    for page in "$@"; do
        out=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
        if [ -n "$out" ]; then echo "$page:"; echo "$out"; exit 1; fi
    done
    ;;
*)
    echo "validate.sh: unknown kind $kind" >&2
    exit 2
    ;;
esac
