#!/bin/sh
# Installed by ca.msi, then run by the type-18 custom action RunInstalled.
printf "ran %s\n" "$0" > "$1"
