#!/bin/sh
# Directories and links: the project directory and jobs/ are refused when others can write
# them (unless sticky and owned by the user or root), and a symbolic link that leaves jobs/ is
# refused without its target ever being opened.
. "$(dirname "$0")/lib.sh"

NOW=2026-05-04T12:00:00Z
HDR='#!/bin/sh
# ---
# ---
echo "$STAU_JOB" >>"$STAU_DIR/ran"'
SCHED='schedule:
  - id: a
    job: a
    cron: "0 12 * * *"'

# --- jobs/ writable by others
mkproject jobsdir
job a.sh "$HDR"
printf '%s\n' "$SCHED" >"$P/schedule.yaml"
chmod 0777 "$P/jobs"
run_stau -C "$P" check
check "check refuses a world-writable jobs/ with the fix" "2|jobs: directory writable by \
group or others, who could put their own file in place of a job; run 'chmod go-w jobs'
1 problem" "$rc|$out"
run_stau -C "$P" tick --now "$NOW"
check "a tick runs nothing and says why" "2|stau: jobs: directory writable by group or \
others, who could put their own file in place of a job; run 'chmod go-w jobs'
stau: nothing can run until that is fixed|" "$rc|$err|$(cat "$P/ran" 2>/dev/null)"
chmod 1777 "$P/jobs"
run_stau -C "$P" tick --now 2026-05-05T12:00:00Z
check "a sticky jobs/ owned by the user is fine" "0||a" "$rc|$err|$(cat "$P/ran" 2>/dev/null)"
chmod 0775 "$P/jobs"
run_stau -C "$P" run a
check "a group-writable jobs/ is refused too" "2|stau: jobs: directory writable by group or \
others, who could put their own file in place of a job; run 'chmod go-w jobs'" "$rc|$err"
chmod 0755 "$P/jobs"
if [ "$(id -u)" = 0 ]; then
	chown nobody "$P/jobs"
	run_stau -C "$P" check
	check "a jobs/ owned by another user is refused" "2|jobs: owned by another user (uid \
$(id -u nobody)), who can change it; run 'chown $(id -un) jobs'
1 problem" "$rc|$out"
	chown "$(id -u)" "$P/jobs"
else
	ok "# SKIP another owner needs root"
fi

# --- the project directory writable by others
mkproject projdir
job a.sh "$HDR"
printf '%s\n' "$SCHED" >"$P/schedule.yaml"
chmod o+w "$P"
run_stau -C "$P" check
check "check refuses a world-writable project directory" "2|$P: directory writable by group \
or others, who could put their own file in place of a job; run 'chmod go-w $P'
1 problem" "$rc|$out"
run_stau -C "$P" tick --now "$NOW"
check "a tick runs nothing" "2||" "$rc|$(cat "$P/ran" 2>/dev/null)|$(ls "$P/.stau/logs" 2>/dev/null)"
chmod o-w "$P"
run_stau -C "$P" tick --now 2026-05-05T12:00:00Z
check "fixed, the next tick runs it" "0|a" "$rc|$(cat "$P/ran" 2>/dev/null)"

# --- a symbolic link out of jobs/ is refused without its target being opened
mkproject link
job a.sh "$HDR"
printf '#!/bin/sh\n# ---\n# secret_key: hunter2\n# ---\n' >"$TMP/secret.sh"
ln -s "$TMP/secret.sh" "$P/jobs/sec.sh"
ln -s /etc/passwd "$P/jobs/pw.sh"
run_stau -C "$P" check
check "links out are refused and nothing of their targets is quoted" "2|jobs/pw.sh: \
symbolic link leads outside jobs/; stau only runs files in jobs/
jobs/sec.sh: symbolic link leads outside jobs/; stau only runs files in jobs/
2 problems" "$rc|$out"
if command -v strace >/dev/null 2>&1; then
	strace -f -qq -e trace=open,openat,stat,newfstatat,statx,readlink,readlinkat \
		-o "$TMP/trace" "$STAU" -C "$P" check >/dev/null 2>&1
	check "the targets are never opened nor looked at" "" \
		"$(grep -e 'secret\.sh' -e '/etc/passwd' "$TMP/trace" | grep -v readlink)"
	strace -f -qq -e trace=open,openat -o "$TMP/trace" "$STAU" -C "$P" tick --now "$NOW" \
		>/dev/null 2>&1
	check "a tick does not open them either" "" "$(grep -e 'secret' -e 'passwd"' "$TMP/trace" |
		grep -v 'O_RDONLY|O_CLOEXEC) = -1')"
else
	not_ok "strace is needed to check that no target is opened"
fi
ln -s sec.sh "$P/jobs/chain.sh"
run_stau -C "$P" check
check "a link to a link is refused" "jobs/chain.sh: symbolic link to the symbolic link \
'sec.sh'; link to the file itself" "$(echo "$out" | grep chain)"
rm "$P/jobs/chain.sh" "$P/jobs/sec.sh" "$P/jobs/pw.sh"
ln -s ./a.sh "$P/jobs/b.sh"
ln -s "$(cd "$P/jobs" && pwd -P)/a.sh" "$P/jobs/c.sh"
ln -s missing.sh "$P/jobs/d.sh"
mkfifo "$P/jobs/fifo.sh"
run_stau -C "$P" check
check "links that stay in jobs/ are jobs; a dangling link and a FIFO are none" \
	"0|ok: 3 jobs, 0 schedule entries" "$rc|$out"
run_stau -C "$P" run b
run_stau -C "$P" run c
check "both run" "b
c" "$(cat "$P/ran")"

done_testing
