#!/bin/sh
# Rebuild the packages of spanning cabinets and of folders an install creates
# (span-external.msi, span-embedded.msi, span-misordered.msi, folders-p.msi,
# folders-q.msi, unregistered.msi) from their .wxs with wixl, adding with msibuild what
# wixl cannot write. build.sh runs it; it can also be run alone.
#
# Needs: wixl, msibuild, msiinfo (Debian's msitools).
set -eu
[ -n "${DEBUG:-}" ] && set -x

here=$(cd "$(dirname "$0")" && pwd)
span=$(cd "$here/../../../cabinet/tests/data/span" && pwd)

build() {
    (cd "$here" && wixl -o "$2" "$1")
}

sql() {
    msi=$1
    shift
    for q in "$@"; do
        msibuild "$msi" -q "$q"
    done
}

expect() {
    if ! msiinfo export "$1" "$2" | grep -qF -- "$3"; then
        echo "build-media.sh: $(basename "$1"): table $2 lacks: $3" >&2
        msiinfo export "$1" "$2" >&2
        exit 1
    fi
}

media() {
    printf "INSERT INTO \`Media\` (\`DiskId\`, \`LastSequence\`, \`Cabinet\`) VALUES (%s, %s, '%s')" "$@"
}

# --- span-*.msi: three Media rows over the cabinet set span1.cab..span3.cab; the files'
# sequences and sizes as the set holds them ---
for kind in external embedded misordered; do
    msi="$here/span-$kind.msi"
    build span.wxs "$msi"
    sql "$msi" \
        "DELETE FROM \`Media\`" \
        "UPDATE \`File\` SET \`Sequence\` = 1, \`FileSize\` = 3640 WHERE \`File\` = 'Alpha'" \
        "UPDATE \`File\` SET \`Sequence\` = 2, \`FileSize\` = 110000 WHERE \`File\` = 'Bravo'" \
        "UPDATE \`File\` SET \`Sequence\` = 3, \`FileSize\` = 41240 WHERE \`File\` = 'Charlie'"
done
# External: Bravo counted on the disk it begins on (LastSequence 2, 2, 3).
sql "$here/span-external.msi" \
    "$(media 1 2 span1.cab)" "$(media 2 2 span2.cab)" "$(media 3 3 span3.cab)"
expect "$here/span-external.msi" Media '2	2		span2.cab'
# Embedded: Bravo counted on the disk after it (LastSequence 1, 2, 3), the cabinets streams.
sql "$here/span-embedded.msi" \
    "$(media 1 1 '#span1.cab')" "$(media 2 2 '#span2.cab')" "$(media 3 3 '#span3.cab')"
for n in 1 2 3; do
    msibuild "$here/span-embedded.msi" -a "span$n.cab" "$span/span$n.cab"
done
expect "$here/span-embedded.msi" Media '2	2		#span2.cab'
# Misordered: DiskId 2 names span3.cab, DiskId 3 span2.cab.
sql "$here/span-misordered.msi" \
    "$(media 1 2 span1.cab)" "$(media 2 2 span3.cab)" "$(media 3 3 span2.cab)"
expect "$here/span-misordered.msi" Media '2	2		span3.cab'

# --- folders-p.msi, folders-q.msi: two products under ProgramFilesFolder ---
for x in p q; do
    build "folders-$x.wxs" "$here/folders-$x.msi"
done
expect "$here/folders-p.msi" CreateFolder 'INSTALLDIR	Main'
expect "$here/folders-p.msi" InstallExecuteSequence 'RemoveFolders'

# --- unregistered.msi: a component without a ComponentId (an empty string is a null) ---
msi="$here/unregistered.msi"
build unregistered.wxs "$msi"
sql "$msi" \
    "UPDATE \`Component\` SET \`ComponentId\` = '' WHERE \`Component\` = 'Unmanaged'" \
    "DELETE FROM \`CreateFolder\` WHERE \`Directory_\` = 'KeptDir'" \
    "INSERT INTO \`CreateFolder\` (\`Directory_\`, \`Component_\`) VALUES ('KeptDir', 'Unmanaged')" \
    "INSERT INTO \`CreateFolder\` (\`Directory_\`, \`Component_\`) VALUES ('MadeDir', 'Made')" \
    "INSERT INTO \`RemoveFile\` (\`FileKey\`, \`Component_\`, \`FileName\`, \`DirProperty\`, \`InstallMode\`) VALUES ('OnInstall', 'Unmanaged', 'on-install.txt', 'INSTALLDIR', 1)" \
    "INSERT INTO \`RemoveFile\` (\`FileKey\`, \`Component_\`, \`FileName\`, \`DirProperty\`, \`InstallMode\`) VALUES ('OnRemove', 'Unmanaged', 'on-remove.txt', 'INSTALLDIR', 2)" \
    "INSERT INTO \`RemoveFile\` (\`FileKey\`, \`Component_\`, \`FileName\`, \`DirProperty\`, \`InstallMode\`) VALUES ('OnBoth', 'Unmanaged', 'on-both.txt', 'INSTALLDIR', 3)" \
    "INSERT INTO \`RemoveFile\` (\`FileKey\`, \`Component_\`, \`FileName\`, \`DirProperty\`, \`InstallMode\`) VALUES ('MadeOnRemove', 'Made', 'made-remove.txt', 'INSTALLDIR', 2)"
expect "$msi" Component 'Unmanaged		INSTALLDIR	0'
expect "$msi" CreateFolder 'KeptDir	Unmanaged'
expect "$msi" RemoveFile 'OnBoth	Unmanaged	on-both.txt	INSTALLDIR	3'
expect "$msi" InstallExecuteSequence 'RemoveFolders'

for msi in span-external span-embedded span-misordered folders-p folders-q unregistered; do
    msiinfo export "$here/$msi.msi" InstallExecuteSequence >/dev/null
    printf '%-40s %8d bytes\n' "$msi.msi" "$(wc -c <"$here/$msi.msi")"
done
