#!/bin/sh
# Rebuild the transform test packages from their .wxs with Debian's wixl and check them
# with msiinfo. The .msi files are checked in: run this only after changing a .wxs, then
# commit the .msi files with it. Transforms are not checked in: the tests make them with
# rmsi's own generator from these packages.
#
# Needs: wixl, msibuild, msiinfo (Debian's msitools).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
for tool in wixl msibuild msiinfo; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool not found" >&2; exit 1; }
done

for name in site-base site-changed; do
    (cd "$here" && wixl -o "$name.msi" "$name.wxs")
done

# wixl writes an empty Registry table into every package: the base has none, so that the
# transform adds a table.
msibuild "$here/site-base.msi" -q 'DROP TABLE `Registry`'

# The changed package must differ where the tests look.
msiinfo export "$here/site-changed.msi" Property | grep -q '^EXTRA	1' \
    || { echo "build.sh: site-changed.msi lacks EXTRA" >&2; exit 1; }
msiinfo export "$here/site-changed.msi" Registry | grep -q 'Edition' \
    || { echo "build.sh: site-changed.msi lacks its registry value" >&2; exit 1; }
if msiinfo tables "$here/site-base.msi" | grep -qx Registry; then
    echo "build.sh: site-base.msi must not have a Registry table" >&2
    exit 1
fi
