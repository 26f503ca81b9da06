#!/bin/sh
# big-ca.msi's deferred custom action runs this installed script: it writes the size of
# the large file installed beside it (in the cabinet before it) to the file named by $1.
wc -c < "$(dirname "$0")/zeros.bin" > "$1"
