#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Checks the packaging with the distribution's own tools, and the package by running
# what it installs. Exits 77 (CTest's skip code here) when a needed tool is missing.
#   validate.sh desktop FILE.desktop
#   validate.sh metainfo FILE.metainfo.xml [SCREENSHOT_DIR]
#   validate.sh mime FILE.xml
#   validate.sh man FILE.1...
#   validate.sh installed BUILD_DIR   (installs into a temporary prefix, validates the
#                                    tree and runs the installed CLI on the bundled demo)
#   validate.sh deb BUILD_DIR VERSION CPACK (builds the .deb, runs lintian when installed,
#                                    unpacks it into a throwaway root and runs the CLI
#                                    and the GUI from there)
#   validate.sh version VERSION CHANGELOG METAINFO (the newest entries name VERSION)
#   validate.sh flatpak MANIFEST APP_ID (parses the YAML, checks the pins and options)
#   validate.sh maintscripts POSTINST POSTRM (runs them against recording stand-ins for
#                                    the commands they call)
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
    # Screenshot URLs point at the published copies of SCREENSHOT_DIR's images.
    if [ $# -ge 2 ]; then
        urls=$(grep -o '<image[^>]*>[^<]*' "$1" | sed 's/.*>//')
        [ -n "$urls" ] || { echo "$1: no screenshots"; exit 1; }
        for url in $urls; do
            [ -f "$2/${url##*/}" ] || { echo "$1: $url is not an image in $2"; exit 1; }
        done
    fi
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
    # The lesson scenarios of File > Open an example: each must load.
    n=0
    for scn in "$root"/usr/share/stackscope/examples/*.scn; do
        [ -f "$scn" ] || break
        "$cli" check "$scn" || { echo "installed example $scn does not load"; exit 1; }
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || { echo "no examples in /usr/share/stackscope/examples"; exit 1; }
    for f in share/man/man1/stackscope-cli.1.gz share/doc/stackscope/copyright \
             share/doc/stackscope/changelog.gz; do
        [ -f "$root/usr/$f" ] || { echo "missing /usr/$f"; exit 1; }
    done
    ;;
deb)
    build=$1
    version=$2
    cpack=$3
    need dpkg-deb
    need appstreamcli
    need desktop-file-validate
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$build" && "$cpack" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) ||
        { cat "$work/cpack.log"; exit 1; }
    deb=$(ls "$work"/out/*.deb)
    echo "built $(basename "$deb")"
    dpkg-deb --info "$deb"
    [ "$(dpkg-deb --field "$deb" Version)" = "$version" ] ||
        { echo "package version is not the project version $version"; exit 1; }
    # Depends comes from dpkg-shlibdeps; without libc6 it did not run.
    dpkg-deb --field "$deb" Depends | grep -q 'libc6' ||
        { echo "Depends lacks the shared libraries' packages"; exit 1; }

    if command -v lintian >/dev/null 2>&1; then
        # Errors and warnings fail; info and pedantic tags are printed as advice.
        lintian --display-info --fail-on error,warning "$deb"
        echo "lintian: no errors or warnings"
    else
        echo "NOTE: lintian is not installed (scripts/deps.sh installs it); not run"
    fi

    root=$work/root
    dpkg-deb -x "$deb" "$root"
    appstreamcli validate-tree --no-net --explain "$root"
    # A build without the UI (STACKSCOPE_BUILD_UI=OFF) ships no desktop integration.
    if [ -x "$root/usr/bin/stackscope" ]; then
        desktop-file-validate "$root/usr/share/applications/io.stackscope.Stackscope.desktop"
    fi
    # The helper is optional in the build; when shipped, postinst must give it its capability.
    helper=/usr/libexec/stackscope/stackscope-tap-helper
    if [ -e "$root$helper" ]; then
        dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst | grep -qF "helper=$helper" ||
            { echo "postinst does not set up $helper"; exit 1; }
        [ ! -u "$root$helper" ] || { echo "$helper is setuid in the package"; exit 1; }
    elif dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -q postinst; then
        echo "postinst sets up $helper, which the package does not ship"; exit 1
    fi
    [ ! -e "$root/usr/bin/stackscope-tap-helper" ] || { echo "the TAP helper is on PATH"; exit 1; }

    # Run from an empty folder so nothing can come from the source or build tree.
    cd "$work"
    cli=$root/usr/bin/stackscope-cli
    demo=$root/usr/share/stackscope/demo
    out=$("$cli" --version)
    echo "$out"
    echo "$out" | grep -qF "$version" || { echo "stackscope-cli --version does not say $version"; exit 1; }
    out=$("$cli" run "$demo/demo.scn" --rx eth0="$demo/demo.pcap" --show drops)
    echo "$out"
    echo "$out" | grep -q '^total' || { echo "no drop table from the installed demo"; exit 1; }
    gui=$root/usr/bin/stackscope
    if [ -x "$gui" ]; then
        # QApplication needs a platform even for --version.
        out=$(QT_QPA_PLATFORM=offscreen "$gui" --version)
        echo "$out" | grep -qF "$version" || { echo "stackscope --version does not say $version"; exit 1; }
        if command -v xvfb-run >/dev/null 2>&1; then
            # No file: the GUI opens the demo from ../share/stackscope next to its binary.
            xvfb-run -a -s '-screen 0 1600x1000x24' \
                "$gui" --packets 3 --size 1280x800 --screenshot "$work/shot.png"
            [ -s "$work/shot.png" ] || { echo "the installed GUI saved no screenshot"; exit 1; }
            echo "GUI screenshot: $(wc -c <"$work/shot.png") bytes"
        else
            echo "NOTE: xvfb-run is not installed; the GUI was not started"
        fi
    fi
    ;;
version)
    version=$1
    changelog=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$2")
    [ "$changelog" = "$version" ] ||
        { echo "$2: newest entry is $changelog, the project version is $version"; exit 1; }
    release=$(grep -o '<release [^>]*version="[^"]*"' "$3" | head -n 1 | sed 's/.*version="//; s/"$//')
    [ "$release" = "$version" ] ||
        { echo "$3: newest release is $release, the project version is $version"; exit 1; }
    ;;
flatpak)
    need python3
    python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3 yaml is not installed"; exit 77; }
    python3 - "$1" "$2" <<'PY'
import re, sys, yaml
path, app_id = sys.argv[1], sys.argv[2]
m = yaml.safe_load(open(path))
problems = []
if m.get("app-id") != app_id:
    problems.append(f"app-id is {m.get('app-id')}, not {app_id}")
if m.get("runtime") != "org.kde.Platform" or not str(m.get("runtime-version", "")).startswith("6."):
    problems.append("the runtime must be org.kde.Platform 6.x")
for arg in m.get("finish-args", []):
    # Read-only files, no network, no devices beyond the GPU: saving goes through portals.
    if arg in ("--device=all", "--share=network") or (
            arg.startswith("--filesystem=") and not arg.endswith(":ro")):
        problems.append(f"finish-arg {arg} is wider than the application needs")
modules = {mod["name"]: mod for mod in m["modules"]}
for name, mod in modules.items():
    for src in mod.get("sources", []):
        if src["type"] in ("archive", "file") and not re.fullmatch(r"[0-9a-f]{64}", src.get("sha256", "")):
            problems.append(f"module {name}: {src.get('url')} has no sha256")
if "libpcap" not in modules:
    problems.append("libpcap is not built as a module")
opts = modules.get("stackscope", {}).get("config-opts", [])
for opt in ("-DSTACKSCOPE_ENABLE_LIVE=OFF", "-DSTACKSCOPE_BUILD_TESTS=OFF"):
    if opt not in opts:
        problems.append(f"the stackscope module lacks {opt}")
for p in problems:
    print(f"{path}: {p}")
sys.exit(1 if problems else 0)
PY
    ;;
maintscripts)
    postinst=$1
    postrm=$2
    stubs=$(mktemp -d)
    trap 'rm -rf "$stubs"' EXIT
    log=$stubs/log
    # Each stand-in records its call; getent and dpkg-statoverride answer as the
    # files GROUP_EXISTS and OVERRIDE say, like a system with or without them.
    for cmd in addgroup delgroup chown chmod setcap; do
        printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$cmd" "$log" >"$stubs/$cmd"
    done
    printf '#!/bin/sh\n[ -e "%s/GROUP_EXISTS" ]\n' "$stubs" >"$stubs/getent"
    printf '#!/bin/sh\n[ -e "%s/OVERRIDE" ]\n' "$stubs" >"$stubs/dpkg-statoverride"
    chmod +x "$stubs"/*
    run() { PATH=$stubs:/nonexistent /bin/sh "$@" 2>"$stubs/err" || { cat "$stubs/err"; echo "$* failed"; exit 1; }; }
    expect() {
        if [ "$(cat "$log" 2>/dev/null)" != "$1" ]; then
            printf '%s\nexpected:\n%s\ngot:\n' "$2" "$1"; cat "$log" 2>/dev/null; exit 1
        fi
        rm -f "$log"
    }
    helper=$(sed -n 's/^helper=//p' "$postinst")
    [ -n "$helper" ] || { echo "$postinst: no helper= line"; exit 1; }

    run "$postinst" configure
    expect "addgroup --quiet --system stackscope
chown root:stackscope $helper
chmod 0750 $helper
setcap cap_net_admin=ep $helper" "first install"
    touch "$stubs/GROUP_EXISTS" "$stubs/OVERRIDE"
    run "$postinst" configure
    expect "setcap cap_net_admin=ep $helper" "upgrade with an administrator's statoverride"
    rm "$stubs/OVERRIDE" "$stubs/setcap"
    run "$postinst" configure
    expect "chown root:stackscope $helper
chmod 0750 $helper" "without setcap"
    grep -q libcap2-bin "$stubs/err" || { echo "without setcap, postinst does not say what to install"; exit 1; }
    run "$postinst" abort-upgrade
    expect "" "abort-upgrade"

    run "$postrm" remove
    expect "" "remove keeps the group"
    run "$postrm" purge
    expect "delgroup --quiet --system stackscope" "purge"
    rm "$stubs/GROUP_EXISTS"
    run "$postrm" purge
    expect "" "purge with the group already gone"
    echo "maintainer scripts behave"
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
