#!/usr/bin/env bash
# The main job on a bundled example: builds the tools, installs the example package
# `examples/hello/hello.msi` into a fresh staging root, and shows what it placed there
# and what the verbose log says about the Restart Manager session.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --workspace
bin="${CARGO_TARGET_DIR:-target}/release"
root=$(mktemp -d "${TMPDIR:-/tmp}/rmsi-example.XXXXXX")
log="$root.log"
echo "\$ rmsi install examples/hello/hello.msi --root $root --ui none --log $log"
status=0
"$bin/rmsi" install examples/hello/hello.msi --root "$root" --ui none --log "$log" || status=$?
echo
echo "Installed under $root:"
(cd "$root" && find . -type f | sort)
echo
echo "From the verbose log:"
grep -E 'Action ended|RESTART MANAGER:|MainEngineThread' "$log" || true
exit "$status"
