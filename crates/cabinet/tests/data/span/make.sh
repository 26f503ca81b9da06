#!/bin/sh
# Rebuilds span1.cab, span2.cab and span3.cab: one cabinet set made by Wine's `cabarc`
# (FCI) with a 50,000-byte disk size, MSZIP, set ID 4242. Alpha (text) is in span1.cab;
# Bravo (110,000 incompressible bytes) begins in span1.cab, fills span2.cab and ends in
# span3.cab; Charlie (text) is in span3.cab's second folder. The payloads are the
# `pseudo_random` streams of `../../util/mod.rs` (seeds 1, 2, 3), so tests compare with
# them without keeping them here. Needs wine (Debian package wine).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" <<'PY'
import sys
M = (1 << 64) - 1
def pseudo_random(n, seed, text):
    x = ((seed * 0x9E3779B97F4A7C15) & M) | 1
    out = bytearray()
    for _ in range(n):
        x ^= (x << 13) & M
        x ^= x >> 7
        x ^= (x << 17) & M
        out.append(b"etaoin shrdlu\n"[x % 14] if text else (x >> 24) & 0xFF)
    return bytes(out)
d = sys.argv[1]
for name, n, seed, text in [("Alpha", 3640, 1, True), ("Bravo", 110000, 2, False), ("Charlie", 41240, 3, True)]:
    open(f"{d}/{name}", "wb").write(pseudo_random(n, seed, text))
PY
cd "$work"
WINEPREFIX="$work/prefix" WINEDEBUG=-all wine cabarc -m mszip -d 50000 -i 4242 N 'span*.cab' Alpha Bravo Charlie >/dev/null
cp span1.cab span2.cab span3.cab "$here/"
