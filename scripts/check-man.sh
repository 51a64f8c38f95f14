#!/bin/sh
# check-man.sh PAGE... - render each man page as man(1) would, with every groff warning
# turned on (-ww), and fail when groff says anything: a page that renders with a warning
# shows the reader a mangled line somewhere.
set -u
command -v groff >/dev/null 2>&1 ||
	{ echo "check-man: groff is missing: apt-get install groff-base" >&2; exit 2; }
rc=0
for page in "$@"; do
	said=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
	if [ -n "$said" ]; then
		echo "check-man: $page:"
		printf '%s\n' "$said" | sed 's/^/  /'
		rc=1
	else
		echo "check-man: $page renders without a warning"
	fi
done
exit $rc
