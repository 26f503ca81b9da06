#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs the Debian packages the tests
# need when they are missing (non-interactively; this runs as root on our machines),
# then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

# wixl/msibuild/msiinfo/msiextract build and check the test packages; runit's runsvdir
# and sv are the service manager the Restart Manager tests drive (no systemd here);
# fuser (psmisc) and lsof are what the benchmarks compare against.
need=()
command -v wixl >/dev/null 2>&1 || need+=(wixl)
command -v msiextract >/dev/null 2>&1 || need+=(msitools)
command -v runsvdir >/dev/null 2>&1 || need+=(runit)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# The Debian-package test builds a .deb (objdump reads its libc need), installs it and
# opens its man pages.
command -v objdump >/dev/null 2>&1 || need+=(binutils)
command -v man >/dev/null 2>&1 || need+=(man-db)
# The Restart Manager's Debian-package test builds a library and a program with gcc.
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v desktop-file-validate >/dev/null 2>&1 || need+=(desktop-file-utils)
command -v wine >/dev/null 2>&1 || need+=(wine)
# Real Windows programs the tests build with mingw-w64: the service of services.msi and
# the Wine program test's regread.c.
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
# The hardening tests inject I/O errors and kills into the real binary with strace.
command -v strace >/dev/null 2>&1 || need+=(strace)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "scripts/test.sh: missing ${need[*]}; install them (as root: apt-get install ${need[*]})" >&2
        exit 1
    fi
    echo "scripts/test.sh: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null
fi

# The corpus of real packages sits beside the repository (../shared/corpus) and is read in
# place; RMSI_CORPUS points elsewhere.
if [ -z "${RMSI_CORPUS:-}" ] && [ ! -d ../shared/corpus ]; then
    echo "scripts/test.sh: the package corpus is not at ../shared/corpus; set RMSI_CORPUS to its folder" >&2
    exit 1
fi

# --no-fail-fast: one failing test binary must not hide the results of the others.
cargo test --workspace --locked --no-fail-fast "$@"
