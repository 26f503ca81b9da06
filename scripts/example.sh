#!/usr/bin/env bash
# The main job on a bundled example: builds the tools, then shows who on this machine
# uses the C library (every dynamically linked process maps it).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --workspace
libc=$(ldd /bin/sh | awk '/libc\.so/ {print $3; exit}')
echo "\$ rstmgr who $libc"
target/release/rstmgr who "$libc"
