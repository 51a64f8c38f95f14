#!/bin/sh
# need-deps.sh WHAT... - make sure the Debian packages that stau's build needs are installed.
# WHAT is "build" (sqlite3, libyaml, pkg-config) and/or "test" (cmocka, python3, prove,
# valgrind, sqlite3, graphviz, groff, clang and its libFuzzer).
# As root, installs what is missing with apt-get; otherwise prints the one line to run.
set -u
pkgs=""
need() { pkgs="$pkgs $1"; }
has_pc() { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$1"; }
for what in "$@"; do
	case $what in
	build)
		command -v pkg-config >/dev/null 2>&1 || need pkg-config
		command -v cc >/dev/null 2>&1 || need gcc
		has_pc sqlite3 || need libsqlite3-dev
		has_pc yaml-0.1 || need libyaml-dev
		[ -d /usr/share/zoneinfo ] || need tzdata
		;;
	test)
		has_pc cmocka || need libcmocka-dev
		command -v python3 >/dev/null 2>&1 || need python3
		command -v prove >/dev/null 2>&1 || need perl
		command -v valgrind >/dev/null 2>&1 || need valgrind
		command -v strace >/dev/null 2>&1 || need strace
		command -v sqlite3 >/dev/null 2>&1 || need sqlite3
		command -v dot >/dev/null 2>&1 || need graphviz
		command -v groff >/dev/null 2>&1 || need groff-base
		command -v clang >/dev/null 2>&1 || need clang
		[ -n "$(find /usr/lib -name 'libclang_rt.fuzzer*' -print -quit 2>/dev/null)" ] ||
			need libclang-rt-dev
		;;
	esac
done
[ -z "$pkgs" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "stau: installing missing packages:$pkgs" >&2
	apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null && exit 0
	echo "stau: apt-get could not install:$pkgs" >&2
	exit 1
fi
echo "stau: missing packages; install them with:" >&2
echo "    sudo apt-get install -y$pkgs" >&2
exit 1
