#!/bin/sh
# Rebuild the registry test packages (registry.msi, registry-cleaner.msi, shared-a.msi,
# shared-b.msi) from their .wxs with wixl, adding with msibuild the rows wixl cannot write.
# build.sh runs it; it can also be run alone (the other packages are left as they are).
#
# Needs: wixl, msibuild, msiinfo (Debian's msitools).
set -eu
[ -n "${DEBUG:-}" ] && set -x

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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
        echo "build-registry.sh: $(basename "$1"): table $2 lacks: $3" >&2
        msiinfo export "$1" "$2" >&2
        exit 1
    fi
}

row() {
    printf "INSERT INTO \`Registry\` (\`Registry\`, \`Root\`, \`Key\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('%s', %s, '%s', '%s', '%s', 'App')" "$@"
}

# --- registry.msi: every Value form of the Registry table (wixl writes no #% or #x prefix,
# no multi-string, no special key names) ---
build registry.wxs "$here/registry.msi"
sql "$here/registry.msi" \
    "UPDATE \`Registry\` SET \`Value\` = '#%%PATH%;[INSTALLDIR]' WHERE \`Name\` = 'Expand'" \
    "UPDATE \`Registry\` SET \`Value\` = '#x0A0B1C' WHERE \`Name\` = 'Bin'" \
    "$(row Literal 2 'Software\rmsi tests\registry' Literal '##not a number')" \
    "$(row Multi 2 'Software\rmsi tests\registry' Multi 'one[~]two')" \
    "$(row Append 2 'Software\rmsi tests\shared' List '[~]mine')" \
    "$(row File 2 'Software\rmsi tests\registry' File '[#AppTxt]')" \
    "$(row PerUser -1 'Software\rmsi tests\context' Where 'ALLUSERS=[ALLUSERS]')" \
    "INSERT INTO \`Registry\` (\`Registry\`, \`Root\`, \`Key\`, \`Name\`, \`Component_\`) VALUES ('Plus', 2, 'Software\rmsi tests\kept', '+', 'App')" \
    "INSERT INTO \`Registry\` (\`Registry\`, \`Root\`, \`Key\`, \`Name\`, \`Component_\`) VALUES ('Star', 2, 'Software\rmsi tests\tree', '*', 'App')" \
    "INSERT INTO \`Registry\` (\`Registry\`, \`Root\`, \`Key\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('InTree', 2, 'Software\rmsi tests\tree\sub', 'Leaf', '#1', 'App')"
expect "$here/registry.msi" Registry 'Expand	#%%PATH%;[INSTALLDIR]	App'
expect "$here/registry.msi" Registry 'Bin	#x0A0B1C	App'
expect "$here/registry.msi" Registry 'Plus	2	Software\rmsi tests\kept	+		App'

# --- registry-cleaner.msi: RegLocator rows wixl cannot write, a Signature for the type 1
# search, and a RemoveRegistry table ---
build registry-cleaner.wxs "$here/registry-cleaner.msi"
printf 'RemoveRegistry\tRoot\tKey\tName\tComponent_\ns72\ti2\tl255\tL255\ts72\nRemoveRegistry\tRemoveRegistry\n' >"$tmp/RemoveRegistry.idt"
printf 'RmLiteral\t2\tSoftware\\rmsi tests\\registry\tLiteral\tCleaner\n' >>"$tmp/RemoveRegistry.idt"
printf 'RmTree\t2\tSoftware\\rmsi tests\\tree\t-\tCleaner\n' >>"$tmp/RemoveRegistry.idt"
(cd "$tmp" && msibuild "$here/registry-cleaner.msi" -i RemoveRegistry.idt)
# CCPSearch: one signature that is not found, one RegLocator signature that is.
printf 'Signature_\ns72\nCCPSearch\tSignature_\nSMissing\nSDword\n' >"$tmp/CCPSearch.idt"
(cd "$tmp" && msibuild "$here/registry-cleaner.msi" -i CCPSearch.idt)
loc() {
    printf "INSERT INTO \`RegLocator\` (\`Signature_\`, \`Root\`, \`Key\`, \`Name\`, \`Type\`) VALUES ('%s', %s, '%s', '%s', %s)" "$@"
}
# A RegLocator row for the default value (Name null: msibuild's SQL has no NULL).
loc_default() {
    printf "INSERT INTO \`RegLocator\` (\`Signature_\`, \`Root\`, \`Key\`, \`Type\`) VALUES ('%s', %s, '%s', %s)" "$@"
}
search() {
    printf "INSERT INTO \`AppSearch\` (\`Property\`, \`Signature_\`) VALUES ('%s', '%s')" "$@"
}
sql "$here/registry-cleaner.msi" \
    "UPDATE \`RegLocator\` SET \`Type\` = 18 WHERE \`Signature_\` = 'S64'" \
    "UPDATE \`Registry\` SET \`Value\` = '[~]theirs' WHERE \`Name\` = 'List'" \
    "$(loc_default SDefault 2 'Software\rmsi tests\registry' 2)" "$(search FOUNDDEFAULT SDefault)" \
    "$(loc_default SClass 0 '.rmsitest' 2)" "$(search FOUNDCLASS SClass)" \
    "$(loc SMulti 2 'Software\rmsi tests\registry' Multi 2)" "$(search FOUNDMULTI SMulti)" \
    "$(loc SDir 2 'Software\rmsi tests\registry' Str 0)" "$(search FOUNDDIR SDir)" \
    "$(loc SFile 2 'Software\rmsi tests\registry' File 1)" "$(search FOUNDFILE SFile)" \
    "INSERT INTO \`Signature\` (\`Signature\`, \`FileName\`) VALUES ('SFile', 'app.txt')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('CCPSearch', 60)"
expect "$here/registry-cleaner.msi" RegLocator 'S64	2	Software\rmsi tests\registry64	Level	18'
expect "$here/registry-cleaner.msi" RemoveRegistry 'RmTree	2	Software\rmsi tests\tree	-	Cleaner'
expect "$here/registry-cleaner.msi" Signature 'SFile	app.txt'
expect "$here/registry-cleaner.msi" CCPSearch 'SDword'
expect "$here/registry-cleaner.msi" InstallExecuteSequence 'CCPSearch		60'

# --- shared-a.msi, shared-b.msi: one component (Shared) in both; attributes wixl cannot write ---
for x in a b; do
    build "shared-$x.wxs" "$here/shared-$x.msi"
    sql "$here/shared-$x.msi" "UPDATE \`Component\` SET \`Attributes\` = 8 WHERE \`Component\` = 'Shared'"
    expect "$here/shared-$x.msi" Component 'Shared	{6B1D9A20-3C4E-4F50-8A61-7B8C9D0E1F80}	SHAREDDIR	8'
done
sql "$here/shared-a.msi" \
    "UPDATE \`Component\` SET \`Attributes\` = 16 WHERE \`Component\` = 'Permanent'" \
    "UPDATE \`Component\` SET \`ComponentId\` = '' WHERE \`Component\` = 'Unmanaged'"
expect "$here/shared-a.msi" Component 'Permanent	{6B1D9A20-3C4E-4F50-8A61-7B8C9D0E1F90}	SHAREDDIR	16'
expect "$here/shared-a.msi" Component 'Unmanaged		SHAREDDIR	0'

for msi in registry registry-cleaner shared-a shared-b; do
    msiinfo export "$here/$msi.msi" InstallExecuteSequence >/dev/null
    printf '%-40s %8d bytes\n' "$msi.msi" "$(wc -c <"$here/$msi.msi")"
done
