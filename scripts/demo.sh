#!/bin/sh
# demo.sh - run the example pipeline of jobs/ and schedule.yaml with the freshly built ./stau.
set -eu
cd "$(dirname "$0")/.."
scripts/need-deps.sh build test >/dev/null || exit 1
if [ ! -f data/stores.db ]; then
	python3 -c 'import sqlite3, sys; c = sqlite3.connect("data/stores.db"); c.executescript(open("data/stores.sql").read()); c.commit()'
fi
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step ./stau check
step ./stau graph
step ./stau next hourly-forecast -n 3
step ./stau run forecast --dry-run
step ./stau run forecast
echo
echo "# forecast again: its dependencies are fresh now, so only forecast itself runs"
step ./stau run forecast --dry-run
step ./stau run forecast
step ./stau status
