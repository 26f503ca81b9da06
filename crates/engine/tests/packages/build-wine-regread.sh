#!/bin/sh
# Rebuild wine-regread/regread.exe (a 64-bit Windows console program, from regread.c with
# Debian's mingw-w64) and wine-regread/wine-regread.msi (the x64 package installing it with
# the registry values it prints). build.sh runs it; it can also be run alone.
#
#   build-wine-regread.sh [OUTDIR]
#
# With OUTDIR, both are built there instead (the test wine_program:: builds the program from
# its source this way and runs it), and the checked-in files are left alone.
#
# Needs: x86_64-w64-mingw32-gcc (gcc-mingw-w64-x86-64), wixl, msibuild, msiinfo (msitools).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src="$here/wine-regread"
dir=${1:-$src}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ "$dir" = "$src" ] || cp "$src/wine-regread.wxs" "$dir/"

for tool in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objdump wixl msibuild msiinfo; do
    command -v "$tool" >/dev/null || {
        echo "build-wine-regread.sh: $tool not found (apt-get install gcc-mingw-w64-x86-64 msitools wixl)" >&2
        exit 1
    }
done

expect() {
    if ! msiinfo export "$1" "$2" | grep -qF -- "$3"; then
        echo "build-wine-regread.sh: $(basename "$1"): table $2 lacks: $3" >&2
        msiinfo export "$1" "$2" >&2
        exit 1
    fi
}

# Without the C runtime (regread.c's entry point is `start`) and stripped: about 3 KB.
# No link timestamp, so that an unchanged source gives the same bytes.
x86_64-w64-mingw32-gcc -Os -s -municode -nostdlib -ffreestanding -fno-stack-protector \
    -fno-asynchronous-unwind-tables -Wall -Wextra -Werror -e start \
    -Wl,--subsystem,console -Wl,--no-insert-timestamp \
    -o "$dir/regread.exe" "$src/regread.c" -lkernel32 -ladvapi32 -lshell32 -lgcc
x86_64-w64-mingw32-objdump -f "$dir/regread.exe" | grep -q 'file format pei-x86-64' || {
    echo "build-wine-regread.sh: regread.exe is not a 64-bit PE" >&2
    exit 1
}

# wixl -a x64 writes the Template x64;1033 and makes ProgramFiles64Folder the 64-bit
# Program Files; Win64="yes" sets msidbComponentAttributes64bit (256), so the component's
# registry values go to the 64-bit view. The package code is fixed (wixl draws a new one).
(cd "$dir" && wixl -a x64 -o wine-regread.msi wine-regread.wxs)
msibuild "$dir/wine-regread.msi" -s "rmsi wine regread" "rmsi tests" "x64;1033" \
    "{546F1167-8073-41A3-8A60-629D47D8DE0A}"
msiinfo suminfo "$dir/wine-regread.msi" | grep -qxF 'Template: x64;1033'
msiinfo suminfo "$dir/wine-regread.msi" | grep -qxF 'Revision number (UUID): {546F1167-8073-41A3-8A60-629D47D8DE0A}'
expect "$dir/wine-regread.msi" Component 'RegRead	{03FD7D96-3EE9-413A-9445-F6F810C136E1}	INSTALLDIR	256'
expect "$dir/wine-regread.msi" Directory 'ProgramFiles64Folder'
expect "$dir/wine-regread.msi" Registry '2	Software\rmsi-test\RegRead	Greeting	Hello from the registry	RegRead'
expect "$dir/wine-regread.msi" Registry '2	Software\rmsi-test\RegRead	InstallDir	[INSTALLDIR]	RegRead'
expect "$dir/wine-regread.msi" Registry '2	Software\rmsi-test\RegRead	Accents	Grüße, café	RegRead'
