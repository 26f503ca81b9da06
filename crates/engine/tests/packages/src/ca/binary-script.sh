#!/bin/sh
# Run from the Binary table (custom action type 2): writes its arguments, one per line.
for a in "$@"; do printf "%s\n" "$a"; done > "$1"
