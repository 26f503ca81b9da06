#!/bin/sh
# Rebuild every test package (and examples/hello/hello.msi) from its .wxs with Debian's
# wixl, fix with msibuild what wixl cannot write (see ../../../../../shared/dependencies.md,
# the wixl table), and check the result with msiinfo. The .msi files are checked in:
# run this only after changing a .wxs, then commit the .msi files with it.
#
# Needs: wixl, msibuild, msiinfo, msiextract (Debian's msitools), python3,
# x86_64-w64-mingw32-gcc (Debian's gcc-mingw-w64-x86-64) for services.msi's service and
# build-wine-regread.sh's program, and i686-w64-mingw32-widl (Debian's mingw-w64-tools) with
# Wine's stdole2.tlb (Debian's libwine) for com.msi's type library.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in wixl msibuild msiinfo msiextract python3 x86_64-w64-mingw32-gcc; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool not found" >&2; exit 1; }
done

# build DIR WXS OUT: run wixl from DIR (Source= paths are relative to it).
build() {
    (cd "$1" && wixl -o "$3" "$2")
}

# sql MSI QUERY...: run each query with msibuild.
sql() {
    msi=$1
    shift
    for q in "$@"; do
        msibuild "$msi" -q "$q"
    done
}

# expect MSI TABLE TEXT: fail unless the exported table contains TEXT.
expect() {
    if ! msiinfo export "$1" "$2" | grep -qF -- "$3"; then
        echo "build.sh: $(basename "$1"): table $2 lacks: $3" >&2
        msiinfo export "$1" "$2" >&2
        exit 1
    fi
}

# --- multi.msi: component conditions, the Condition table and a type-35 action ---
build "$here" multi.wxs "$here/multi.msi"
sql "$here/multi.msi" \
    "UPDATE \`Component\` SET \`Condition\` = 'VersionNT >= 601' WHERE \`Component\` = 'Modern'" \
    "UPDATE \`Component\` SET \`Condition\` = 'VersionNT < 601' WHERE \`Component\` = 'Legacy'" \
    "UPDATE \`Component\` SET \`Condition\` = 'WITHCONFIG = \"1\"' WHERE \`Component\` = 'Config'" \
    "CREATE TABLE \`Condition\` (\`Feature_\` CHAR(38) NOT NULL, \`Level\` SHORT NOT NULL, \`Condition\` CHAR(255) PRIMARY KEY \`Feature_\`, \`Level\`)" \
    "INSERT INTO \`Condition\` (\`Feature_\`, \`Level\`, \`Condition\`) VALUES ('Docs', 0, 'NODOCS = \"1\"')" \
    "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('SetDataDir', 35, 'DataDir', '[INSTALLDIR]data2')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('SetDataDir', 'DATADIR2 = \"1\"', 1020)" \
    "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('SetDataDirAbs', 35, 'DataDir', '[NEWDATADIR]')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('SetDataDirAbs', 'NEWDATADIR', 1030)" \
    "INSERT INTO \`LaunchCondition\` (\`Condition\`, \`Description\`) VALUES ('NOT BLOCKME', 'rmsi multi cannot be installed while BLOCKME is set.')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('LaunchConditions', '', 100)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('ScheduleReboot', 'SCHEDREBOOT', 6550)"
expect "$here/multi.msi" Component 'VersionNT >= 601'
expect "$here/multi.msi" Component 'VersionNT < 601'
expect "$here/multi.msi" Component 'WITHCONFIG = "1"'
expect "$here/multi.msi" Condition 'NODOCS = "1"'
expect "$here/multi.msi" CustomAction 'SetDataDir	35	DataDir	[INSTALLDIR]data2'
expect "$here/multi.msi" InstallExecuteSequence 'SetDataDir	DATADIR2 = "1"	1020'
expect "$here/multi.msi" InstallExecuteSequence 'EnableConfig	CONFIGURE = "yes"	950'
expect "$here/multi.msi" InstallExecuteSequence 'SetInstallDir	NEWINSTALLDIR	960'
expect "$here/multi.msi" CustomAction 'SetDataDirAbs	35	DataDir	[NEWDATADIR]'
expect "$here/multi.msi" InstallExecuteSequence 'SetDataDirAbs	NEWDATADIR	1030'
expect "$here/multi.msi" InstallUISequence 'UiMark		1010'
expect "$here/multi.msi" InstallExecuteSequence 'ScheduleReboot	SCHEDREBOOT	6550'
expect "$here/multi.msi" LaunchCondition 'NOT BLOCKME	rmsi multi cannot be installed while BLOCKME is set.'
expect "$here/multi.msi" InstallExecuteSequence 'LaunchConditions		100'
expect "$here/multi.msi" InstallExecuteSequence 'MarkProperty	NOT MULTISKIP	1010'

# --- rmkey.msi: the seed (custom actions around InstallValidate) ---
build "$here" rmkey.wxs "$here/rmkey.msi"
expect "$here/rmkey.msi" CustomAction 'JoinRm	2098	RSTMGR_EXE	register [MsiRestartManagerSessionKey] --file "[HELD]"'
expect "$here/rmkey.msi" InstallExecuteSequence 'RecordKeyBefore	KEYDIR	1300'
expect "$here/rmkey.msi" InstallExecuteSequence 'JoinRm	HELD	1350'
expect "$here/rmkey.msi" CustomAction 'JoinRmPid	2098	RSTMGR_EXE	register [MsiRestartManagerSessionKey] --pid [HOLDPID]'
expect "$here/rmkey.msi" InstallExecuteSequence 'JoinRmPid	HOLDPID	1360'
expect "$here/rmkey.msi" CustomAction 'JoinRmService	2098	RSTMGR_EXE	register [MsiRestartManagerSessionKey] --service [SERVICE]'
expect "$here/rmkey.msi" InstallExecuteSequence 'JoinRmService	SERVICE	1370'
expect "$here/rmkey.msi" InstallExecuteSequence 'InstallValidate		1400'
expect "$here/rmkey.msi" InstallExecuteSequence 'RecordKeyAfter	KEYDIR	1450'

# rmkey-novalidate.msi: the same without InstallValidate, so that nothing clears the key:
# RecordKeyAfter sees it too, and the final property dump must mask it.
cp "$here/rmkey.msi" "$here/rmkey-novalidate.msi"
sql "$here/rmkey-novalidate.msi" \
    "DELETE FROM \`InstallExecuteSequence\` WHERE \`Action\` = 'InstallValidate'"
if msiinfo export "$here/rmkey-novalidate.msi" InstallExecuteSequence | grep -q InstallValidate; then
    echo "build.sh: rmkey-novalidate.msi still has InstallValidate" >&2
    exit 1
fi

# --- inuse-v1.msi / inuse-v2.msi: a versioned lib/libdemo.so ---
for v in 1 2; do
    build "$here" "inuse-v$v.wxs" "$here/inuse-v$v.msi"
    sql "$here/inuse-v$v.msi" \
        "UPDATE \`File\` SET \`Version\` = '$v.0.0.0' WHERE \`File\` = 'LibFile'"
    expect "$here/inuse-v$v.msi" File "libdemo.so	8704	$v.0.0.0"
done

# --- ca.msi: custom action types wixl drops or refuses are added here ---
mkdir -p "$tmp/idt/Binary"
cp "$here/src/ca/binary-script.sh" "$tmp/idt/Binary/ShScript.ibd"
printf 'Name\tData\ns72\tv0\nBinary\tName\nShScript\tShScript.ibd\n' >"$tmp/idt/Binary.idt"
build "$here" ca.wxs "$here/ca.msi"
(cd "$tmp/idt" && msibuild "$here/ca.msi" -i Binary.idt)
sql "$here/ca.msi" \
    "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('ErrorOut', 19, '', 'Custom error from the package: [ERRORCA]')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('ErrorOut', 'ERRORCA', 1200)" \
    "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('RunInDir', 34, 'TARGETDIR', '/bin/sh -c \"pwd > \\\"[CWDFILE]\\\"\"')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('RunInDir', 'CWDFILE', 1320)" \
    "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('FromBinary', 2, 'ShScript', '\"[BINFILE]\" one \"two words\"')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('FromBinary', 'BINFILE', 1330)" \
    "UPDATE \`Component\` SET \`Condition\` = 'RUNFILE' WHERE \`Component\` = 'Script'"
expect "$here/ca.msi" CustomAction 'Args	2098	SH_EXE	-c "for a in \"$@\"; do printf '\''<%s>\n'\'' \"$a\"; done > \"[ARGSFILE]\"" argv0 plain "two words" a\"quote back\\slash "trail\\\\" "" "[CAPROP]"'
expect "$here/ca.msi" CustomAction 'IgnoreExit	2162'
expect "$here/ca.msi" CustomAction 'FailDeferred	3122'
expect "$here/ca.msi" CustomAction 'ErrorOut	19'
expect "$here/ca.msi" CustomAction 'RunInDir	34	TARGETDIR	/bin/sh -c "pwd > \"[CWDFILE]\""'
expect "$here/ca.msi" CustomAction 'FromBinary	2	ShScript	"[BINFILE]" one "two words"'
expect "$here/ca.msi" CustomAction 'RunInstalled	3090	ScriptFile	"[RUNFILE]"'
expect "$here/ca.msi" InstallExecuteSequence 'RunInstalled	RUNFILE	4200'
expect "$here/ca.msi" CustomAction 'AsyncNoWait	2290'
expect "$here/ca.msi" CustomAction 'AsyncWaitFail	2226'
expect "$here/ca.msi" InstallExecuteSequence 'AsyncNoWait	ASYNCFILE	1340'
expect "$here/ca.msi" InstallExecuteSequence 'AsyncWaitFail	ASYNCFAIL	1345'
expect "$here/ca.msi" Component 'Script	{9C3E5A40-4D5E-4F60-B122-3D4E5F607191}	BinDir	0	RUNFILE'
expect "$here/ca.msi" InstallExecuteSequence 'ErrorOut	ERRORCA	1200'
expect "$here/ca.msi" InstallExecuteSequence 'RunInDir	CWDFILE	1320'
expect "$here/ca.msi" InstallExecuteSequence 'FromBinary	BINFILE	1330'
# (msiinfo streams, not an export of the Binary table: that writes the streams to ./Binary/)
msiinfo streams "$here/ca.msi" | grep -qx 'Binary.ShScript'
msiinfo extract "$here/ca.msi" Binary.ShScript | cmp - "$here/src/ca/binary-script.sh"

# --- uncompressed/uncompressed.msi: b.txt from the source root, a.txt from the cabinet ---
build "$here" uncompressed.wxs "$here/uncompressed/uncompressed.msi"
sql "$here/uncompressed/uncompressed.msi" \
    "UPDATE \`File\` SET \`Attributes\` = 8704 WHERE \`File\` = 'BFile'"
expect "$here/uncompressed/uncompressed.msi" File 'b.txt	16			8704'
[ "$(wc -c <"$here/uncompressed/b.txt")" -eq 16 ]

# --- many-files.msi: 5,000 generated files ---
mkdir "$tmp/many"
python3 "$here/many-files.py" "$tmp/many"
build "$tmp/many" many-files.wxs "$here/many-files.msi"
mkdir "$tmp/many-x"
msiextract -C "$tmp/many-x" "$here/many-files.msi" >/dev/null
count=$(find "$tmp/many-x" -type f | wc -l)
[ "$count" -eq 5000 ] || { echo "build.sh: many-files.msi holds $count files" >&2; exit 1; }

# --- examples/hello/hello.msi, and the damaged packages derived from it ---
hello="$repo/examples/hello"
build "$hello" hello.wxs "$hello/hello.msi"
expect "$hello/hello.msi" File 'hello.conf'

# empty.msi: no Feature, Component or File table at all.
cp "$hello/hello.msi" "$here/empty.msi"
sql "$here/empty.msi" \
    "DROP TABLE \`FeatureComponents\`" "DROP TABLE \`Feature\`" \
    "DROP TABLE \`File\`" "DROP TABLE \`Component\`" "DROP TABLE \`Media\`"
for t in Feature FeatureComponents Component File Media; do
    if msiinfo tables "$here/empty.msi" | grep -qx "$t"; then
        echo "build.sh: empty.msi still has table $t" >&2
        exit 1
    fi
done

# corrupt-cab.msi: one byte of compressed data flipped in the first CFDATA block.
# corrupt-csum.msi: the data intact, the first CFDATA checksum changed.
# bad-size.msi: the File table claims a wrong size for hello.txt.
msiinfo extract "$hello/hello.msi" hello.cab >"$tmp/hello.cab"
python3 - "$tmp/hello.cab" "$tmp/flipped.cab" "$tmp/badsum.cab" <<'EOF'
import struct, sys
cab = bytearray(open(sys.argv[1], "rb").read())
assert cab[:4] == b"MSCF"
(cfdata,) = struct.unpack_from("<I", cab, 36)   # first CFFOLDER: coffCabStart
csum, cb, cbu = struct.unpack_from("<IHH", cab, cfdata)
assert csum != 0, "wixl wrote no CFDATA checksum"
flipped = bytearray(cab)
flipped[cfdata + 8 + cb // 2] ^= 0x5A
open(sys.argv[2], "wb").write(flipped)
badsum = bytearray(cab)
struct.pack_into("<I", badsum, cfdata, csum ^ 0x00010000)
open(sys.argv[3], "wb").write(badsum)
EOF
cp "$hello/hello.msi" "$here/corrupt-cab.msi"
msibuild "$here/corrupt-cab.msi" -a hello.cab "$tmp/flipped.cab"
msiinfo extract "$here/corrupt-cab.msi" hello.cab | cmp -s - "$tmp/flipped.cab"
cp "$hello/hello.msi" "$here/corrupt-csum.msi"
msibuild "$here/corrupt-csum.msi" -a hello.cab "$tmp/badsum.cab"
msiinfo extract "$here/corrupt-csum.msi" hello.cab | cmp -s - "$tmp/badsum.cab"
cp "$hello/hello.msi" "$here/bad-size.msi"
sql "$here/bad-size.msi" "UPDATE \`File\` SET \`FileSize\` = 99 WHERE \`File\` = 'HelloTxt'"
expect "$here/bad-size.msi" File 'hello.txt	99'

# template-intel64.msi, template-lang.msi: hello.msi whose Template summary property names
# a platform this machine does not have (Itanium) or only a language Windows does not know.
for t in "Intel64;1033:template-intel64" "Intel;9999:template-lang"; do
    cp "$hello/hello.msi" "$here/${t##*:}.msi"
    msibuild "$here/${t##*:}.msi" -s "rmsi hello" rmsi "${t%%:*}" "{39FC0EBD-5EFA-480C-9CB8-4E5FA5D25715}"
    msiinfo suminfo "$here/${t##*:}.msi" | grep -qxF "Template: ${t%%:*}"
done

# orphan-file.msi: hello.msi with a File row whose component does not exist (and whose file
# is in no cabinet): Windows Installer ignores such a row.
cp "$hello/hello.msi" "$here/orphan-file.msi"
sql "$here/orphan-file.msi" "INSERT INTO \`File\` (\`File\`, \`Component_\`, \`FileName\`, \`FileSize\`, \`Attributes\`, \`Sequence\`) VALUES ('Orphan', 'NoSuchComponent', 'orphan.txt', 5, 512, 4)"
expect "$here/orphan-file.msi" File 'Orphan	NoSuchComponent	orphan.txt	5'

# hostile-removefile.msi, hostile-movefile.msi, hostile-duplicatefile.msi: hello.msi with a
# RemoveFile, MoveFile or DuplicateFile row whose folder is a plain property, VICTIMDIR
# (not a Directory row): a test sets it to a folder outside the root, whose files must be
# neither deleted, moved nor joined by new ones.
P="INSERT INTO \`Property\` (\`Property\`, \`Value\`) VALUES ('VICTIMDIR', '/tmp/rmsi-victim/')"
Q="INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES"
cp "$hello/hello.msi" "$here/hostile-removefile.msi"
sql "$here/hostile-removefile.msi" "$P" \
    "INSERT INTO \`RemoveFile\` (\`FileKey\`, \`Component_\`, \`FileName\`, \`DirProperty\`, \`InstallMode\`) VALUES ('Victim', 'Hello', '*.txt', 'VICTIMDIR', 1)"
expect "$here/hostile-removefile.msi" RemoveFile 'Victim	Hello	*.txt	VICTIMDIR	1'
expect "$here/hostile-removefile.msi" InstallExecuteSequence 'RemoveFiles		3500'
cp "$hello/hello.msi" "$here/hostile-movefile.msi"
sql "$here/hostile-movefile.msi" "$P" \
    "CREATE TABLE \`MoveFile\` (\`FileKey\` CHAR(72) NOT NULL, \`Component_\` CHAR(72) NOT NULL, \`SourceName\` CHAR(255) LOCALIZABLE, \`DestName\` CHAR(255) LOCALIZABLE, \`SourceFolder\` CHAR(72), \`DestFolder\` CHAR(72) NOT NULL, \`Options\` SHORT NOT NULL PRIMARY KEY \`FileKey\`)" \
    "INSERT INTO \`MoveFile\` (\`FileKey\`, \`Component_\`, \`SourceName\`, \`SourceFolder\`, \`DestFolder\`, \`Options\`) VALUES ('VictimMove', 'Hello', '*.txt', 'VICTIMDIR', 'INSTALLDIR', 1)" \
    "$Q ('MoveFiles', '', 3800)"
expect "$here/hostile-movefile.msi" MoveFile 'VictimMove	Hello	*.txt		VICTIMDIR	INSTALLDIR	1'
expect "$here/hostile-movefile.msi" InstallExecuteSequence 'MoveFiles		3800'
cp "$hello/hello.msi" "$here/hostile-duplicatefile.msi"
sql "$here/hostile-duplicatefile.msi" "$P" \
    "CREATE TABLE \`DuplicateFile\` (\`FileKey\` CHAR(72) NOT NULL, \`Component_\` CHAR(72) NOT NULL, \`File_\` CHAR(72) NOT NULL, \`DestName\` CHAR(255) LOCALIZABLE, \`DestFolder\` CHAR(72) PRIMARY KEY \`FileKey\`)" \
    "INSERT INTO \`DuplicateFile\` (\`FileKey\`, \`Component_\`, \`File_\`, \`DestName\`, \`DestFolder\`) VALUES ('VictimDup', 'Hello', 'HelloTxt', 'planted.txt', 'VICTIMDIR')" \
    "$Q ('DuplicateFiles', '', 4210)"
expect "$here/hostile-duplicatefile.msi" DuplicateFile 'VictimDup	Hello	HelloTxt	planted.txt	VICTIMDIR'
expect "$here/hostile-duplicatefile.msi" InstallExecuteSequence 'DuplicateFiles		4210'

# --- hostile-*.msi: names that try to leave the root, one kind per package (an engine
# that refuses the first bad row must not hide how it treats the others) ---
D="UPDATE \`Directory\` SET \`DefaultDir\`"
F="UPDATE \`File\` SET \`FileName\`"
chain() { # chain VALUE: D1..D8 all get DefaultDir VALUE
    for d in D1 D2 D3 D4 D5 D6 D7 D8; do
        printf '%s\n' "$D = '$1' WHERE \`Directory\` = '$d'"
    done
}
hostile() { # hostile NAME QUERY...: hostile.wxs with the queries applied
    build "$here" hostile.wxs "$here/hostile-$1.msi"
    name=$1
    shift
    sql "$here/hostile-$name.msi" "$@"
}
rm -f "$here/hostile-dir.msi" "$here/hostile-file.msi"
old_ifs=$IFS
IFS='
'
# shellcheck disable=SC2046 # one query per line
hostile dir-dotdot $(chain '..')
# shellcheck disable=SC2046
hostile dir-long $(chain 'a|..')
# shellcheck disable=SC2046
hostile dir-target $(chain '..:src')
IFS=$old_ifs
hostile dir-abs "$D = '/tmp/rmsi-escaped-abs-dir' WHERE \`Directory\` = 'Abs'"
hostile dir-slash "$D = '../../../../../../../../tmp/rmsi-escaped-slash-dir' WHERE \`Directory\` = 'D1'"
hostile file-dotdot "$F = '../../../../../../../../rmsi-escaped-dotdot-file.txt' WHERE \`File\` = 'DotDotFile'"
hostile file-slash "$F = 'sub/../../../../../../../../tmp/rmsi-escaped-slash-file.txt' WHERE \`File\` = 'SlashFile'"
hostile file-abs "$F = '/tmp/rmsi-escaped-abs-file.txt' WHERE \`File\` = 'AbsPathFile'"
hostile file-long "$F = 'x.txt|../../../../../../../../rmsi-escaped-long-file.txt' WHERE \`File\` = 'DotDotFile'"
hostile file-backslash "$F = '..\\..\\..\\..\\..\\..\\..\\..\\rmsi-escaped-backslash-file.txt' WHERE \`File\` = 'DotDotFile'"
expect "$here/hostile-dir-dotdot.msi" Directory 'D8	D7	..'
expect "$here/hostile-dir-long.msi" Directory 'D8	D7	a|..'
expect "$here/hostile-dir-target.msi" Directory 'D8	D7	..:src'
expect "$here/hostile-dir-abs.msi" Directory 'Abs	TARGETDIR	/tmp/rmsi-escaped-abs-dir'
expect "$here/hostile-dir-slash.msi" Directory 'D1	TARGETDIR	../../../../../../../../tmp/rmsi-escaped-slash-dir'
expect "$here/hostile-file-dotdot.msi" File '../../../../../../../../rmsi-escaped-dotdot-file.txt'
expect "$here/hostile-file-slash.msi" File 'sub/../../../../../../../../tmp/rmsi-escaped-slash-file.txt'
expect "$here/hostile-file-abs.msi" File '/tmp/rmsi-escaped-abs-file.txt'
expect "$here/hostile-file-long.msi" File 'x.txt|../../../../../../../../rmsi-escaped-long-file.txt'
expect "$here/hostile-file-backslash.msi" File '..\..\..\..\..\..\..\..\rmsi-escaped-backslash-file.txt'

# --- upgrade-v1.msi / upgrade-v2.msi / upgrade-v2-late.msi: a major upgrade ---
# wixl places a Custom action "After" an action at the end of the sequence: SetMarkerDir
# must run before the script. upgrade-v2-late.msi sequences RemoveExistingProducts after
# InstallFinalize instead of after InstallValidate.
build "$here" upgrade-v1.wxs "$here/upgrade-v1.msi"
sql "$here/upgrade-v1.msi" \
    "UPDATE \`InstallExecuteSequence\` SET \`Sequence\` = 1001 WHERE \`Action\` = 'SetMarkerDir'"
expect "$here/upgrade-v1.msi" InstallExecuteSequence 'SetMarkerDir	NOT MARKERDIR	1001'
build "$here" upgrade-v2.wxs "$here/upgrade-v2.msi"
# MigrateFeatures (1) + VersionMinInclusive (256): wixl knows no MigrateFeatures attribute,
# and Attributes is part of the Upgrade table's key (the row is replaced, not updated).
sql "$here/upgrade-v2.msi" \
    "DELETE FROM \`Upgrade\` WHERE \`ActionProperty\` = 'OLDVERSIONFOUND'" \
    "INSERT INTO \`Upgrade\` (\`UpgradeCode\`, \`VersionMin\`, \`VersionMax\`, \`Attributes\`, \`ActionProperty\`) VALUES ('{5D2E7A10-1B2C-4D3E-8F40-6A7B8C9D0E00}', '1.0.0', '2.0.0', 257, 'OLDVERSIONFOUND')"
expect "$here/upgrade-v2.msi" InstallExecuteSequence 'RemoveExistingProducts		1401'
expect "$here/upgrade-v2.msi" InstallExecuteSequence 'MigrateFeatureStates		1200'
expect "$here/upgrade-v2.msi" Upgrade '257		OLDVERSIONFOUND'
cp "$here/upgrade-v2.msi" "$here/upgrade-v2-late.msi"
sql "$here/upgrade-v2-late.msi" \
    "UPDATE \`InstallExecuteSequence\` SET \`Sequence\` = 6700 WHERE \`Action\` = 'RemoveExistingProducts'"
expect "$here/upgrade-v2-late.msi" InstallExecuteSequence 'RemoveExistingProducts		6700'
# upgrade-v2-exec.msi: InstallExecute, then RemoveExistingProducts, then InstallFinalize
# (inside the transaction: a failed removal rolls the new files back too).
cp "$here/upgrade-v2.msi" "$here/upgrade-v2-exec.msi"
sql "$here/upgrade-v2-exec.msi" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('InstallExecute', 6500)" \
    "UPDATE \`InstallExecuteSequence\` SET \`Sequence\` = 6550 WHERE \`Action\` = 'RemoveExistingProducts'"
expect "$here/upgrade-v2-exec.msi" InstallExecuteSequence 'InstallExecute		6500'
expect "$here/upgrade-v2-exec.msi" InstallExecuteSequence 'RemoveExistingProducts		6550'

# --- the registry packages (registry.msi, registry-cleaner.msi, shared-*.msi) ---
"$here/build-registry.sh"
# --- spanning cabinets and folders (span-*.msi, folders-*.msi, unregistered.msi) ---
"$here/build-media.sh"
# --- wine-regread/: a 64-bit Windows program (mingw-w64) and its x64 package ---
"$here/build-wine-regread.sh"
# --- env.msi: the Environment and SelfReg tables (wixl has neither) ---
build "$here" env.wxs "$here/env.msi"
sql "$here/env.msi" \
    "CREATE TABLE \`Environment\` (\`Environment\` CHAR(72) NOT NULL, \`Name\` CHAR(255) NOT NULL LOCALIZABLE, \`Value\` CHAR(255) LOCALIZABLE, \`Component_\` CHAR(72) NOT NULL PRIMARY KEY \`Environment\`)" \
    "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('Home', '=-*RMSI_HOME', '[INSTALLDIR]', 'App')" \
    "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('Path', '=-*PATH', '[~];[INSTALLDIR]bin', 'App')" \
    "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('Pre', '=-RMSI_LIST', '[INSTALLDIR];[~]', 'App')" \
    "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('User', '-=RMSI_USER', '%USERPROFILE%\\rmsi', 'App')" \
    "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('Keep', '+RMSI_KEEP', 'new', 'App')" \
    "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('Gone', '!RMSI_GONE', 'old', 'App')" \
    "UPDATE \`Component\` SET \`Attributes\` = 20 WHERE \`Component\` = 'Before'" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RemoveEnvironmentStrings', 3300)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('WriteEnvironmentStrings', 5200)" \
    "CREATE TABLE \`SelfReg\` (\`File_\` CHAR(72) NOT NULL, \`Cost\` SHORT PRIMARY KEY \`File_\`)" \
    "INSERT INTO \`SelfReg\` (\`File_\`, \`Cost\`) VALUES ('AppTxt', 0)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('SelfUnregModules', 2200)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('SelfRegModules', 6800)"
expect "$here/env.msi" Environment 'Path	=-*PATH	[~];[INSTALLDIR]bin	App'
expect "$here/env.msi" InstallExecuteSequence 'WriteEnvironmentStrings		5200'
# --- services.msi: ServiceInstall, ServiceControl, MsiServiceConfig (see services.wxs) ---
# The service is a real Windows program, compiled here; wixl reads it from a path relative
# to this folder, removed once packaged.
x86_64-w64-mingw32-gcc -municode -O2 -s -Wall -Wextra -o "$here/src/services/svc.exe" "$here/src/services/svc.c"
(cd "$here" && wixl -D SvcExe=src/services/svc.exe -o "$here/services.msi" services.wxs) || {
    rm -f "$here/src/services/svc.exe"
    exit 1
}
rm -f "$here/src/services/svc.exe"
sql "$here/services.msi" \
    "UPDATE \`ServiceInstall\` SET \`ErrorControl\` = 32769 WHERE \`ServiceInstall\` = 'SvcInstall'" \
    "UPDATE \`ServiceInstall\` SET \`Description\` = '[~]' WHERE \`ServiceInstall\` = 'UserInstall'" \
    "UPDATE \`ServiceControl\` SET \`Arguments\` = 'one[~]two words' WHERE \`ServiceControl\` = 'SvcControl'" \
    "CREATE TABLE \`MsiServiceConfig\` (\`MsiServiceConfig\` CHAR(72) NOT NULL, \`Name\` CHAR(255) NOT NULL, \`Event\` SHORT NOT NULL, \`ConfigType\` LONG NOT NULL, \`Argument\` CHAR(255), \`Component_\` CHAR(72) NOT NULL PRIMARY KEY \`MsiServiceConfig\`)" \
    "INSERT INTO \`MsiServiceConfig\` (\`MsiServiceConfig\`, \`Name\`, \`Event\`, \`ConfigType\`, \`Argument\`, \`Component_\`) VALUES ('Delayed', 'RmsiSvc', 1, 3, '1', 'Svc')" \
    "INSERT INTO \`MsiServiceConfig\` (\`MsiServiceConfig\`, \`Name\`, \`Event\`, \`ConfigType\`, \`Argument\`, \`Component_\`) VALUES ('NonCrash', 'RmsiSvc', 5, 4, '1', 'Svc')" \
    "INSERT INTO \`MsiServiceConfig\` (\`MsiServiceConfig\`, \`Name\`, \`Event\`, \`ConfigType\`, \`Argument\`, \`Component_\`) VALUES ('Sid', 'RmsiSvc', 1, 5, '3', 'Svc')" \
    "INSERT INTO \`MsiServiceConfig\` (\`MsiServiceConfig\`, \`Name\`, \`Event\`, \`ConfigType\`, \`Argument\`, \`Component_\`) VALUES ('Privileges', 'RmsiSvc', 1, 6, 'SeChangeNotifyPrivilege[~]SeCreateGlobalPrivilege', 'Svc')" \
    "INSERT INTO \`MsiServiceConfig\` (\`MsiServiceConfig\`, \`Name\`, \`Event\`, \`ConfigType\`, \`Component_\`) VALUES ('Preshutdown', 'RmsiSvc', 1, 7, 'Svc')" \
    "INSERT INTO \`MsiServiceConfig\` (\`MsiServiceConfig\`, \`Name\`, \`Event\`, \`ConfigType\`, \`Argument\`, \`Component_\`) VALUES ('OnlyReinstall', 'RmsiSvc', 4, 7, '5000', 'Svc')" \
    "CREATE TABLE \`MsiServiceConfigFailureActions\` (\`MsiServiceConfigFailureActions\` CHAR(72) NOT NULL, \`Name\` CHAR(255) NOT NULL, \`Event\` SHORT NOT NULL, \`ResetPeriod\` LONG, \`RebootMessage\` CHAR(255), \`Command\` CHAR(255), \`Actions\` CHAR(255), \`DelayActions\` CHAR(255), \`Component_\` CHAR(72) NOT NULL PRIMARY KEY \`MsiServiceConfigFailureActions\`)" \
    "INSERT INTO \`MsiServiceConfigFailureActions\` (\`MsiServiceConfigFailureActions\`, \`Name\`, \`Event\`, \`ResetPeriod\`, \`RebootMessage\`, \`Command\`, \`Actions\`, \`DelayActions\`, \`Component_\`) VALUES ('Recover', 'RmsiSvc', 1, 86400, 'Restarting for [ProductName]', '\"[#SvcExe]\" --recover', '1[~]1[~]0', '60000[~]120000[~]0', 'Svc')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('MsiConfigureServices', 'VersionNT >= 600', 5850)"
expect "$here/services.msi" ServiceInstall 'SvcInstall	RmsiSvc	Rmsi Service [ProductVersion]	16	3	32769'
expect "$here/services.msi" ServiceInstall 'UserInstall	RmsiUser		16	2	0			.\rmsiuser	[SVCPASSWORD]		User	[~]'
expect "$here/services.msi" ServiceControl 'SvcControl	RmsiSvc	163	one[~]two words	1	Svc'
expect "$here/services.msi" ServiceControl 'UserControl	RmsiUser	160		0	User'
expect "$here/services.msi" MsiServiceConfig 'Delayed	RmsiSvc	1	3	1	Svc'
expect "$here/services.msi" MsiServiceConfigFailureActions 'Recover	RmsiSvc	1	86400	Restarting for [ProductName]'
expect "$here/services.msi" InstallExecuteSequence 'InstallServices	VersionNT	5800'
expect "$here/services.msi" InstallExecuteSequence 'MsiConfigureServices	VersionNT >= 600	5850'
# --- fonts.msi: the Font table (wixl has none) ---
build "$here" fonts.wxs "$here/fonts.msi"
sql "$here/fonts.msi" \
    "CREATE TABLE \`Font\` (\`File_\` CHAR(72) NOT NULL, \`FontTitle\` CHAR(128) PRIMARY KEY \`File_\`)" \
    "INSERT INTO \`Font\` (\`File_\`) VALUES ('DejaVuSans')" \
    "INSERT INTO \`Font\` (\`File_\`, \`FontTitle\`) VALUES ('Titled', 'Titled Font (TrueType)')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('UnregisterFonts', 2500)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RegisterFonts', 5300)"
expect "$here/fonts.msi" Font 'Titled	Titled Font (TrueType)'
expect "$here/fonts.msi" InstallExecuteSequence 'RegisterFonts		5300'
# --- shell.msi: shortcuts, INI files and IniLocator (see the comment in shell.wxs) ---
build "$here" shell.wxs "$here/shell.msi"
sql "$here/shell.msi" \
    "UPDATE \`Shortcut\` SET \`ShowCmd\` = 3, \`Hotkey\` = 1619 WHERE \`Shortcut\` = 'AppShortcut'" \
    "CREATE TABLE \`MsiShortcutProperty\` (\`MsiShortcutProperty\` CHAR(72) NOT NULL, \`Shortcut_\` CHAR(72) NOT NULL, \`PropertyKey\` CHAR(0) NOT NULL, \`PropVariantValue\` CHAR(0) NOT NULL PRIMARY KEY \`MsiShortcutProperty\`)" \
    "INSERT INTO \`MsiShortcutProperty\` (\`MsiShortcutProperty\`, \`Shortcut_\`, \`PropertyKey\`, \`PropVariantValue\`) VALUES ('AppId', 'AppShortcut', 'System.AppUserModel.ID', 'rmsi.tests.[ProductName]')" \
    "INSERT INTO \`MsiShortcutProperty\` (\`MsiShortcutProperty\`, \`Shortcut_\`, \`PropertyKey\`, \`PropVariantValue\`) VALUES ('NoPin', 'AppShortcut', 'System.AppUserModel.PreventPinning', '1')" \
    "INSERT INTO \`MsiShortcutProperty\` (\`MsiShortcutProperty\`, \`Shortcut_\`, \`PropertyKey\`, \`PropVariantValue\`) VALUES ('Unknown', 'AppShortcut', 'System.NoSuchProperty', 'x')" \
    "CREATE TABLE \`IniFile\` (\`IniFile\` CHAR(72) NOT NULL, \`FileName\` CHAR(255) NOT NULL LOCALIZABLE, \`DirProperty\` CHAR(72), \`Section\` CHAR(96) NOT NULL LOCALIZABLE, \`Key\` CHAR(128) NOT NULL LOCALIZABLE, \`Value\` CHAR(255) NOT NULL LOCALIZABLE, \`Action\` SHORT NOT NULL, \`Component_\` CHAR(72) NOT NULL PRIMARY KEY \`IniFile\`)" \
    "INSERT INTO \`IniFile\` (\`IniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('IniInstallDir', 'rmsi-shell.ini', 'Settings', 'InstallDir', '[INSTALLDIR]', 0, 'App')" \
    "INSERT INTO \`IniFile\` (\`IniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('IniMode', 'rmsi-shell.ini', 'Settings', 'Mode', 'fresh', 1, 'App')" \
    "INSERT INTO \`IniFile\` (\`IniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('IniTagA', 'rmsi-shell.ini', 'Plugins', 'List', 'a', 3, 'App')" \
    "INSERT INTO \`IniFile\` (\`IniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('IniTagB', 'rmsi-shell.ini', 'Plugins', 'List', 'b', 3, 'App')" \
    "INSERT INTO \`IniFile\` (\`IniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('IniFound', 'rmsi-shell.ini', 'Search', 'Found', '[FOUNDINI]', 0, 'App')" \
    "INSERT INTO \`IniFile\` (\`IniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('IniField', 'rmsi-shell.ini', 'Search', 'Field', '[FOUNDFIELD]', 0, 'App')" \
    "INSERT INTO \`IniFile\` (\`IniFile\`, \`FileName\`, \`DirProperty\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('IniAppHome', 'app.ini', 'INSTALLDIR', 'Paths', 'Home', '[INSTALLDIR]', 0, 'App')" \
    "CREATE TABLE \`RemoveIniFile\` (\`RemoveIniFile\` CHAR(72) NOT NULL, \`FileName\` CHAR(255) NOT NULL LOCALIZABLE, \`DirProperty\` CHAR(72), \`Section\` CHAR(96) NOT NULL LOCALIZABLE, \`Key\` CHAR(128) NOT NULL LOCALIZABLE, \`Value\` CHAR(255) LOCALIZABLE, \`Action\` SHORT NOT NULL, \`Component_\` CHAR(72) NOT NULL PRIMARY KEY \`RemoveIniFile\`)" \
    "INSERT INTO \`RemoveIniFile\` (\`RemoveIniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Action\`, \`Component_\`) VALUES ('RemoveObsolete', 'shared.ini', 'Old', 'Obsolete', 2, 'App')" \
    "INSERT INTO \`RemoveIniFile\` (\`RemoveIniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('RemoveOldTag', 'shared.ini', 'Old', 'Tags', 'old', 4, 'App')" \
    "CREATE TABLE \`IniLocator\` (\`Signature_\` CHAR(72) NOT NULL, \`FileName\` CHAR(255) NOT NULL, \`Section\` CHAR(96) NOT NULL, \`Key\` CHAR(128) NOT NULL, \`Field\` SHORT, \`Type\` SHORT PRIMARY KEY \`Signature_\`)" \
    "INSERT INTO \`IniLocator\` (\`Signature_\`, \`FileName\`, \`Section\`, \`Key\`, \`Type\`) VALUES ('SharedKeep', 'shared.ini', 'Old', 'Keep', 2)" \
    "INSERT INTO \`IniLocator\` (\`Signature_\`, \`FileName\`, \`Section\`, \`Key\`, \`Field\`, \`Type\`) VALUES ('SharedField', 'shared.ini', 'Old', 'Tags', 2, 2)" \
    "INSERT INTO \`AppSearch\` (\`Property\`, \`Signature_\`) VALUES ('FOUNDINI', 'SharedKeep')" \
    "INSERT INTO \`IniLocator\` (\`Signature_\`, \`FileName\`, \`Section\`, \`Key\`, \`Type\`) VALUES ('SharedDir', 'SHARED.INI', 'Paths', 'Dir', 0)" \
    "INSERT INTO \`IniLocator\` (\`Signature_\`, \`FileName\`, \`Section\`, \`Key\`, \`Type\`) VALUES ('SharedFile', 'shared.ini', 'Paths', 'File', 1)" \
    "INSERT INTO \`IniLocator\` (\`Signature_\`, \`FileName\`, \`Section\`, \`Key\`, \`Type\`) VALUES ('SharedNoFile', 'shared.ini', 'Paths', 'Dir', 1)" \
    "INSERT INTO \`Signature\` (\`Signature\`, \`FileName\`, \`MinSize\`) VALUES ('SharedFile', 'shared.ini', 10)" \
    "INSERT INTO \`Signature\` (\`Signature\`, \`FileName\`) VALUES ('SharedNoFile', 'absent.ini')" \
    "INSERT INTO \`AppSearch\` (\`Property\`, \`Signature_\`) VALUES ('FOUNDDIR', 'SharedDir')" \
    "INSERT INTO \`AppSearch\` (\`Property\`, \`Signature_\`) VALUES ('FOUNDFILE', 'SharedFile')" \
    "INSERT INTO \`AppSearch\` (\`Property\`, \`Signature_\`) VALUES ('NOTFOUND', 'SharedNoFile')" \
    "INSERT INTO \`IniFile\` (\`IniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('IniDir', 'rmsi-shell.ini', 'Search', 'Dir', '[FOUNDDIR]', 0, 'App')" \
    "INSERT INTO \`IniFile\` (\`IniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('IniFileFound', 'rmsi-shell.ini', 'Search', 'File', '[FOUNDFILE]', 0, 'App')" \
    "INSERT INTO \`IniFile\` (\`IniFile\`, \`FileName\`, \`Section\`, \`Key\`, \`Value\`, \`Action\`, \`Component_\`) VALUES ('IniNotFound', 'rmsi-shell.ini', 'Search', 'None', '[NOTFOUND]', 0, 'App')" \
    "INSERT INTO \`AppSearch\` (\`Property\`, \`Signature_\`) VALUES ('FOUNDFIELD', 'SharedField')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('AppSearch', 50)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RemoveIniValues', 3100)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('WriteIniValues', 5100)"
expect "$here/shell.msi" Shortcut '3	INSTALLDIR'
expect "$here/shell.msi" IniFile 'IniAppHome	app.ini	INSTALLDIR	Paths	Home'
expect "$here/shell.msi" RemoveIniFile 'RemoveOldTag	shared.ini		Old	Tags	old	4	App'
expect "$here/shell.msi" IniLocator 'SharedField	shared.ini	Old	Tags	2	2'
expect "$here/shell.msi" InstallExecuteSequence 'WriteIniValues		5100'
expect "$here/shell.msi" MsiShortcutProperty 'NoPin	AppShortcut	System.AppUserModel.PreventPinning	1'

# shell-v2.msi: shell.msi as version 2.0.0 of the same family (a new ProductCode and
# package code), removing version 1 after InstallFinalize (RemoveExistingProducts 6700).
cp "$here/shell.msi" "$here/shell-v2.msi"
sql "$here/shell-v2.msi" \
    "UPDATE \`Property\` SET \`Value\` = '{5E11A0B0-1C2D-4E3F-8A9B-0C1D2E3F4A52}' WHERE \`Property\` = 'ProductCode'" \
    "UPDATE \`Property\` SET \`Value\` = '2.0.0' WHERE \`Property\` = 'ProductVersion'" \
    "INSERT INTO \`Upgrade\` (\`UpgradeCode\`, \`VersionMin\`, \`VersionMax\`, \`Attributes\`, \`ActionProperty\`) VALUES ('{5E11A0B0-1C2D-4E3F-8A9B-0C1D2E3F4A51}', '1.0.0', '2.0.0', 256, 'OLDSHELLFOUND')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('FindRelatedProducts', 25)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RemoveExistingProducts', 6700)"
msibuild "$here/shell-v2.msi" -s "rmsi shell" "rmsi tests" "Intel;1033" "{5E11A0B0-1C2D-4E3F-8A9B-0C1D2E3F4A53}"
expect "$here/shell-v2.msi" Property '{5E11A0B0-1C2D-4E3F-8A9B-0C1D2E3F4A52}'
expect "$here/shell-v2.msi" InstallExecuteSequence 'RemoveExistingProducts		6700'

# --- com.msi: the Class, ProgId, Extension, Verb, MIME, AppId and TypeLib tables (see
# the comment in com.wxs: wixl writes none of them) ---
# The library imports IUnknown and IDispatch from stdole2.tlb, as MIDL's libraries do.
stdole=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows
[ -f "$stdole/stdole2.tlb" ] || { echo "build.sh: $stdole/stdole2.tlb not found (libwine)" >&2; exit 1; }
i686-w64-mingw32-widl -t -L "$stdole" -o "$here/src/com/rmsi.tlb" "$here/src/com/rmsi.idl"
build "$here" com.wxs "$here/com.msi"
sql "$here/com.msi" \
    "CREATE TABLE \`AppId\` (\`AppId\` CHAR(38) NOT NULL, \`RemoteServerName\` CHAR(255), \`LocalService\` CHAR(255), \`ServiceParameters\` CHAR(255), \`DllSurrogate\` CHAR(255), \`ActivateAtStorage\` SHORT, \`RunAsInteractiveUser\` SHORT PRIMARY KEY \`AppId\`)" \
    "CREATE TABLE \`Class\` (\`CLSID\` CHAR(38) NOT NULL, \`Context\` CHAR(32) NOT NULL, \`Component_\` CHAR(72) NOT NULL, \`ProgId_Default\` CHAR(255), \`Description\` CHAR(255) LOCALIZABLE, \`AppId_\` CHAR(38), \`FileTypeMask\` CHAR(255), \`Icon_\` CHAR(72), \`IconIndex\` SHORT, \`DefInprocHandler\` CHAR(32), \`Argument\` CHAR(255), \`Feature_\` CHAR(38) NOT NULL, \`Attributes\` SHORT PRIMARY KEY \`CLSID\`, \`Context\`, \`Component_\`)" \
    "CREATE TABLE \`ProgId\` (\`ProgId\` CHAR(255) NOT NULL, \`ProgId_Parent\` CHAR(255), \`Class_\` CHAR(38), \`Description\` CHAR(255) LOCALIZABLE, \`Icon_\` CHAR(72), \`IconIndex\` SHORT PRIMARY KEY \`ProgId\`)" \
    "CREATE TABLE \`Extension\` (\`Extension\` CHAR(255) NOT NULL, \`Component_\` CHAR(72) NOT NULL, \`ProgId_\` CHAR(255), \`MIME_\` CHAR(64), \`Feature_\` CHAR(38) NOT NULL PRIMARY KEY \`Extension\`, \`Component_\`)" \
    "CREATE TABLE \`Verb\` (\`Extension_\` CHAR(255) NOT NULL, \`Verb\` CHAR(32) NOT NULL, \`Sequence\` SHORT, \`Command\` CHAR(255) LOCALIZABLE, \`Argument\` CHAR(255) PRIMARY KEY \`Extension_\`, \`Verb\`)" \
    "CREATE TABLE \`MIME\` (\`ContentType\` CHAR(64) NOT NULL, \`Extension_\` CHAR(255) NOT NULL, \`CLSID\` CHAR(38) PRIMARY KEY \`ContentType\`)" \
    "CREATE TABLE \`TypeLib\` (\`LibID\` CHAR(38) NOT NULL, \`Language\` SHORT NOT NULL, \`Component_\` CHAR(72) NOT NULL, \`Version\` LONG, \`Description\` CHAR(128) LOCALIZABLE, \`Directory_\` CHAR(72), \`Feature_\` CHAR(38) NOT NULL, \`Cost\` LONG PRIMARY KEY \`LibID\`, \`Language\`, \`Component_\`)" \
    "INSERT INTO \`AppId\` (\`AppId\`, \`RemoteServerName\`, \`LocalService\`, \`ServiceParameters\`, \`DllSurrogate\`, \`ActivateAtStorage\`, \`RunAsInteractiveUser\`) VALUES ('{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A80}', 'host of [ProductName]', 'RmsiService', '-service', 'rmsi-surrogate.exe', 1, 1)" \
    "INSERT INTO \`Class\` (\`CLSID\`, \`Context\`, \`Component_\`, \`ProgId_Default\`, \`Description\`, \`AppId_\`, \`FileTypeMask\`, \`Feature_\`) VALUES ('{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A70}', 'InprocServer32', 'Server', 'Rmsi.Server.1', 'rmsi server class', '{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A80}', '0,4,FFFFFFFF,52534D49;8,2,FFFF,0102', 'Main')" \
    "INSERT INTO \`Class\` (\`CLSID\`, \`Context\`, \`Component_\`, \`ProgId_Default\`, \`Description\`, \`Icon_\`, \`IconIndex\`, \`DefInprocHandler\`, \`Argument\`, \`Feature_\`) VALUES ('{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A71}', 'LocalServer32', 'App', 'Rmsi.Document.1', 'rmsi document', 'doc.ico', 2, '2', '/automation', 'Main')" \
    "INSERT INTO \`Class\` (\`CLSID\`, \`Context\`, \`Component_\`, \`Feature_\`, \`Attributes\`) VALUES ('{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A73}', 'InprocServer32', 'Server', 'Main', 1)" \
    "INSERT INTO \`Class\` (\`CLSID\`, \`Context\`, \`Component_\`, \`ProgId_Default\`, \`Description\`, \`Feature_\`) VALUES ('{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A72}', 'InprocServer32', 'Extra', 'Rmsi.Extra.1', 'rmsi extra class', 'Extra')" \
    "INSERT INTO \`ProgId\` (\`ProgId\`, \`Class_\`, \`Description\`) VALUES ('Rmsi.Server.1', '{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A70}', 'rmsi server 1')" \
    "INSERT INTO \`ProgId\` (\`ProgId\`, \`ProgId_Parent\`, \`Description\`) VALUES ('Rmsi.Server', 'Rmsi.Server.1', 'rmsi server')" \
    "INSERT INTO \`ProgId\` (\`ProgId\`, \`Class_\`, \`Description\`, \`Icon_\`, \`IconIndex\`) VALUES ('Rmsi.Document.1', '{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A71}', 'rmsi document file', 'doc.ico', 1)" \
    "INSERT INTO \`ProgId\` (\`ProgId\`, \`Description\`) VALUES ('Rmsi.Plain', 'rmsi plain text')" \
    "INSERT INTO \`ProgId\` (\`ProgId\`, \`Description\`) VALUES ('Rmsi.Unused', 'no class, no extension')" \
    "INSERT INTO \`ProgId\` (\`ProgId\`, \`Class_\`, \`Description\`) VALUES ('Rmsi.Extra.1', '{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A72}', 'rmsi extra 1')" \
    "INSERT INTO \`Extension\` (\`Extension\`, \`Component_\`, \`ProgId_\`, \`MIME_\`, \`Feature_\`) VALUES ('rmsidoc', 'App', 'Rmsi.Document.1', 'application/x-rmsidoc', 'Main')" \
    "INSERT INTO \`Extension\` (\`Extension\`, \`Component_\`, \`ProgId_\`, \`Feature_\`) VALUES ('rmsitxt', 'Server', 'Rmsi.Plain', 'Main')" \
    "INSERT INTO \`Verb\` (\`Extension_\`, \`Verb\`, \`Sequence\`, \`Command\`, \`Argument\`) VALUES ('rmsidoc', 'print', 2, '&Print', '/p \"%1\"')" \
    "INSERT INTO \`Verb\` (\`Extension_\`, \`Verb\`, \`Sequence\`, \`Command\`, \`Argument\`) VALUES ('rmsidoc', 'open', 1, '&Open', '\"%1\"')" \
    "INSERT INTO \`Verb\` (\`Extension_\`, \`Verb\`, \`Argument\`) VALUES ('rmsidoc', 'edit', '/e \"%1\"')" \
    "INSERT INTO \`Verb\` (\`Extension_\`, \`Verb\`, \`Command\`) VALUES ('rmsitxt', 'open', 'Open')" \
    "INSERT INTO \`MIME\` (\`ContentType\`, \`Extension_\`, \`CLSID\`) VALUES ('application/x-rmsidoc', 'rmsidoc', '{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A71}')" \
    "INSERT INTO \`TypeLib\` (\`LibID\`, \`Language\`, \`Component_\`, \`Version\`, \`Description\`, \`Feature_\`) VALUES ('{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A90}', 1033, 'TypeLib', 258, 'rmsi type library', 'Main')" \
    "INSERT INTO \`TypeLib\` (\`LibID\`, \`Language\`, \`Component_\`, \`Version\`, \`Description\`, \`Directory_\`, \`Feature_\`) VALUES ('{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A91}', 0, 'Server', 769, 'rmsi server library', 'HelpDir', 'Main')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('UnregisterTypeLibraries', 2300)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('UnregisterClassInfo', 2700)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('UnregisterExtensionInfo', 2800)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('UnregisterProgIdInfo', 2900)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('UnregisterMIMEInfo', 3000)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RegisterClassInfo', 4600)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RegisterExtensionInfo', 4700)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RegisterProgIdInfo', 4800)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RegisterMIMEInfo', 4900)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RegisterTypeLibraries', 5500)"
expect "$here/com.msi" Class 'LocalServer32	App	Rmsi.Document.1'
expect "$here/com.msi" ProgId 'Rmsi.Server	Rmsi.Server.1'
expect "$here/com.msi" Verb 'rmsidoc	open	1	&Open	"%1"'
expect "$here/com.msi" MIME 'application/x-rmsidoc	rmsidoc'
expect "$here/com.msi" AppId 'RmsiService'
expect "$here/com.msi" TypeLib '1033	TypeLib	258'
expect "$here/com.msi" InstallExecuteSequence 'RegisterTypeLibraries		5500'
# shell-env.msi: shell.msi with Environment rows too (the same product), for the kill test
# of an install writing shortcuts, INI lines and environment values (crash.rs; env.msi
# installed first gives the Environment keys values to change): the system Path appended
# to, a system variable set, the user's RMSI_LIST prepended to, RMSI_KEEP removed.
cp "$here/shell.msi" "$here/shell-env.msi"
sql "$here/shell-env.msi" \
    "CREATE TABLE \`Environment\` (\`Environment\` CHAR(72) NOT NULL, \`Name\` CHAR(255) NOT NULL LOCALIZABLE, \`Value\` CHAR(255) LOCALIZABLE, \`Component_\` CHAR(72) NOT NULL PRIMARY KEY \`Environment\`)" \
    "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('ShellPath', '=-*PATH', '[~];[INSTALLDIR]bin', 'App')" \
    "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('ShellHome', '=-*RMSI_SHELL', '[INSTALLDIR]', 'App')" \
    "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('ShellList', '=-RMSI_LIST', '[INSTALLDIR];[~]', 'App')" \
    "INSERT INTO \`Environment\` (\`Environment\`, \`Name\`, \`Value\`, \`Component_\`) VALUES ('ShellKeep', '!RMSI_KEEP', '', 'App')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('RemoveEnvironmentStrings', 3300)" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('WriteEnvironmentStrings', 5200)"
expect "$here/shell-env.msi" Environment 'ShellPath	=-*PATH	[~];[INSTALLDIR]bin	App'
expect "$here/shell-env.msi" InstallExecuteSequence 'WriteEnvironmentStrings		5200'

# wine-exe-ca.msi: a deferred type 34 custom action (34 + 0x400 deferred + 0x800 no
# impersonation) running the prefix's reg.exe, a Windows program, after the package's own
# Registry row is written, and with FAILAFTER=1 a second one whose reg.exe query fails (exit
# 1), so that the install rolls back after a Windows program ran (wine.rs: installed into a
# Wine prefix they run with Wine).
(cd "$here" && wixl -a x64 -o "$here/wine-exe-ca.msi" wine-exe-ca.wxs)
sql "$here/wine-exe-ca.msi" \
    "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('AddValue', 3106, 'System64Folder', '\"[System64Folder]reg.exe\" add \"HKLM\\Software\\rmsi-test\\ExeCA\" /v FromCustomAction /d \"[ProductVersion]\" /f')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Sequence\`) VALUES ('AddValue', 5100)" \
    "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('FailAfter', 3106, 'System64Folder', '\"[System64Folder]reg.exe\" query \"HKLM\\Software\\rmsi-test\\NoSuchKey\"')" \
    "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('FailAfter', 'FAILAFTER', 5150)"
expect "$here/wine-exe-ca.msi" CustomAction 'FailAfter	3106	System64Folder	"[System64Folder]reg.exe" query "HKLM\Software\rmsi-test\NoSuchKey"'
expect "$here/wine-exe-ca.msi" InstallExecuteSequence 'FailAfter	FAILAFTER	5150'
expect "$here/wine-exe-ca.msi" CustomAction 'AddValue	3106	System64Folder	"[System64Folder]reg.exe" add "HKLM\Software\rmsi-test\ExeCA" /v FromCustomAction /d "[ProductVersion]" /f'
expect "$here/wine-exe-ca.msi" InstallExecuteSequence 'AddValue		5100'

# big-ca.msi: 32 MiB of zeros (generated here, a few kilobytes in the cabinet) and after
# them a script its deferred type 18 custom action runs (18 + 0x400 + 0x800).
mkdir -p "$here/generated"
head -c 33554432 /dev/zero >"$here/generated/zeros.bin"
build "$here" big-ca.wxs "$here/big-ca.msi"
rm -rf "$here/generated"
expect "$here/big-ca.msi" File 'AZeros	Zeros	zeros.bin	33554432'
expect "$here/big-ca.msi" File 'BScript	Script	file-size.sh'
expect "$here/big-ca.msi" CustomAction 'FileSize	3090	BScript	"[SIZEFILE]"'

# --- every package opens and lists its sequence ---
for msi in "$here"/*.msi "$here/uncompressed/uncompressed.msi" "$here/wine-regread/wine-regread.msi" "$hello/hello.msi"; do
    msiinfo export "$msi" InstallExecuteSequence >/dev/null
    printf '%-40s %8d bytes\n' "${msi#"$repo"/}" "$(wc -c <"$msi")"
done
