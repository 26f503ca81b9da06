#!/usr/bin/env bash
# Builds target/debian/rmsi_<version>_<arch>.deb: one package holding both tools, their man
# pages (generated from the same clap definitions as --help), bash/zsh/fish completions, the
# Restart Manager's apt hook snippet (installed switched off), the README and the licences.
#
# Why dpkg-deb and not cargo-deb: the package is a plain file tree, and dpkg-deb is on every
# Debian machine already; cargo-deb would be one more tool to build before CI can package.
#
# RMSI_DEB_PROFILE=dev packages the debug build instead (quicker, for tests of the packaging).
# RMSI_DEB_TOOLS=DIR packages the rmsi and rstmgr already built in DIR and builds only xtask
# (which writes the man pages): the packaging test packages the binaries it tests, and does
# not rebuild them while the other tests of its binary are running them.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${RMSI_DEB_PROFILE:-release}
target=${CARGO_TARGET_DIR:-target}
case "$profile" in
    dev) bin="$target/debug" ;;
    *) bin="$target/$profile" ;;
esac
if [ -n "${RMSI_DEB_TOOLS:-}" ]; then
    cargo build --locked --profile "$profile" -p xtask --bins
    tools=$RMSI_DEB_TOOLS
else
    cargo build --locked --profile "$profile" -p rmsi-cli -p xtask --bins
    tools=$bin
fi

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
arch=$(dpkg --print-architecture)
out="$target/debian"
deb="$out/rmsi_${version}_${arch}.deb"

stage=$(mktemp -d "${TMPDIR:-/tmp}/rmsi-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"
umask 022

# Stripped, as Debian ships binaries.
install -Dsm755 "$tools/rmsi" "$stage/usr/bin/rmsi"
install -Dsm755 "$tools/rstmgr" "$stage/usr/bin/rstmgr"

man="$stage/usr/share/man/man1"
"$bin/xtask" man "$man" >/dev/null
gzip -9n "$man"/*.1

for tool in rmsi rstmgr; do
    install -d "$stage/usr/share/bash-completion/completions" \
        "$stage/usr/share/zsh/vendor-completions" \
        "$stage/usr/share/fish/vendor_completions.d"
    "$tools/$tool" completions bash >"$stage/usr/share/bash-completion/completions/$tool"
    "$tools/$tool" completions zsh >"$stage/usr/share/zsh/vendor-completions/_$tool"
    "$tools/$tool" completions fish >"$stage/usr/share/fish/vendor_completions.d/$tool.fish"
done

# The apt hook is installed switched off: every line of the snippet commented out, with a
# first line that says how to switch it on.
install -d "$stage/etc/apt/apt.conf.d"
{
    echo "// Switched off: remove the // before the DPkg:: lines below (or copy"
    echo "// /usr/share/doc/rmsi/50rstmgr here) to enable rstmgr's apt hook."
    sed -e 's|^\([^/]\)|//\1|' dist/apt/50rstmgr
} >"$stage/etc/apt/apt.conf.d/50rstmgr"
chmod 644 "$stage/etc/apt/apt.conf.d/50rstmgr"

doc="$stage/usr/share/doc/rmsi"
install -Dm644 README.md "$doc/README.md"
install -Dm644 dist/apt/50rstmgr "$doc/50rstmgr"
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: rmsi"
    echo
    echo "Files: *"
    echo "Copyright: 2026 The rmsi developers"
    echo "License: MIT or Apache-2.0"
    echo
    echo "License: MIT"
    sed -e 's/^$/./' -e 's/^/ /' LICENSE-MIT
    echo
    echo "License: Apache-2.0"
    echo " On Debian systems, the full text of the Apache License 2.0 is in"
    echo " /usr/share/common-licenses/Apache-2.0."
} >"$doc/copyright"
chmod 644 "$doc/copyright"

# The binaries link only against the C library (SQLite and zlib are built in).
glibc=$(objdump -T "$tools/rmsi" "$tools/rstmgr" | sed -n 's/.*GLIBC_\([0-9.]*\).*/\1/p' | sort -uV | tail -1)
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
install -d "$stage/DEBIAN"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: rmsi
Version: $version
Architecture: $arch
Maintainer: The rmsi developers
Installed-Size: $size
Depends: libc6 (>= $glibc)
Suggests: wine, msitools
Section: admin
Priority: optional
Description: Windows Installer engine and Restart Manager for Linux
 rmsi installs real .msi packages into a target root or a Wine prefix,
 transactionally, with msiexec's command line, exit codes and verbose log.
 rstmgr is the Restart Manager: it tells which processes use files that are
 about to be replaced (or still run replaced code), shuts them down and
 restarts them, and brackets apt upgrades through an apt hook (off until
 enabled in /etc/apt/apt.conf.d/50rstmgr).
CONTROL
echo "/etc/apt/apt.conf.d/50rstmgr" >"$stage/DEBIAN/conffiles"

install -d "$out"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
realpath "$deb"
