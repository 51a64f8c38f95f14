#!/bin/sh
# Jobs start with default signal dispositions and an empty signal mask, whatever stau
# inherited: a shell's `trap '' ALRM TSTP` (or nohup, or a background shell's SIGINT) before
# it starts stau does not reach the job, through `stau run` or `stau tick`.
. "$(dirname "$0")/lib.sh"

mkproject sig
job sig.sh '#!/bin/sh
# ---
# ---
grep -E "^Sig(Ign|Blk)" /proc/self/status >"$STAU_DIR/$STAU_RUN_ID.status"'
printf 'schedule:\n  - id: s\n    job: sig\n    cron: "0 12 * * *"\n' >"$P/schedule.yaml"
defaults="SigBlk:	0000000000000000
SigIgn:	0000000000000000"

# the shell really ignores them: SIGHUP, SIGALRM and SIGTSTP are bits 0, 13 and 19 of SigIgn
ign=$(sh -c "trap '' ALRM TSTP HUP; grep SigIgn /proc/self/status" | cut -f2)
check "the shell that starts stau ignores SIGALRM, SIGTSTP and SIGHUP" "$((0x82001))" \
	"$((0x$ign & 0x82001))"

sh -c "trap '' ALRM TSTP HUP; exec \"\$0\" -C \"\$1\" run sig" "$STAU" "$P" >/dev/null 2>&1
check "a chunk of stau run sees default dispositions and no blocked signal" "$defaults" \
	"$(cat "$P/1.status")"
sh -c "trap '' ALRM TSTP HUP INT QUIT; exec \"\$0\" -C \"\$1\" tick --now 2026-05-04T12:00:10Z" \
	"$STAU" "$P" >/dev/null 2>&1
check "so does a chunk of stau tick" "$defaults" "$(cat "$P/2.status")"

done_testing
