#!/bin/sh
# One bad entry disables itself alone. Three entries fire every minute; deleting one job's
# file, renaming it, misspelling a job in schedule.yaml, breaking a job's header or giving an
# entry a bad cron expression each stops that entry only: the others run every minute, the
# problem is said once per version of its file, and `stau status` shows the disabled entry
# and why until it is fixed. Only a schedule.yaml that does not parse stops every entry.
. "$(dirname "$0")/lib.sh"

mkproject bad
for j in a b c; do
	job "$j.sh" '#!/bin/sh
# ---
# description: writes down that it ran
# ---
echo "$STAU_JOB" >>"$STAU_DIR/ran"'
done
schedule() {
	cat >"$P/schedule.yaml" <<YAML
schedule:
  - {id: ea, job: a, cron: "* * * * *"}
  - {id: eb, job: ${1:-b}, cron: "${2:-* * * * *}"}
  - {id: ec, job: c, cron: "* * * * *"}
YAML
}
schedule
M=0
# tick: one tick a minute after the last; $ran is what ran in it, sorted
tick() {
	M=$((M + 1))
	: >"$P/ran"
	run_stau -C "$P" tick --now "2026-03-02T10:$(printf %02d $M):05Z"
	ran=$(sort "$P/ran" | tr '\n' ' ')
}

tick
check "all three entries run" "0|a b c |" "$rc|$ran|$err"

rm "$P/jobs/b.sh"
tick
check "a deleted job: said once, the other entries run" "0|a c |stau: schedule.yaml:3:19: \
unknown job 'b': no file in jobs/ has that job type (did you mean 'a'?)" "$rc|$ran|$err"
tick
check "and then silence, while the other entries keep running" "0|a c |" "$rc|$ran|$err"
run_stau -C "$P" status
case "$out" in
*"eb     b    * * * * *  disabled"*"  disabled: schedule.yaml:3:19: unknown job 'b'"*)
	ok "status shows the disabled entry and why on its row" ;;
*) not_ok "status shows the disabled entry and why on its row" "$out" ;;
esac
run_stau -C "$P" status --json
case "$out" in
*'"entry": "eb",'*'"disabled": true,'*'"problem": "schedule.yaml:3:19: unknown job'*)
	ok "status --json has the entry's problem" ;;
*) not_ok "status --json has the entry's problem" "$out" ;;
esac

run_stau -C "$P" next eb -n 1 --from 2026-03-02T10:00:00Z
check "stau next says the entry is disabled, and why" "0|2026-03-02T10:01:00+00:00|stau: entry \
'eb' is disabled: schedule.yaml:3:19: unknown job 'b': no file in jobs/ has that job type (did \
you mean 'a'?); tick does not run it at these times" "$rc|$out|$err"

job bee.sh '#!/bin/sh
# ---
# ---
echo "$STAU_JOB" >>"$STAU_DIR/ran"'
tick
check "the job renamed (b.sh to bee.sh): the same problem, not said again; the others run" \
	"0|a c |" "$rc|$ran|$err"

schedule bea
tick
check "a misspelt job: said once, the others run" "0|a c |stau: schedule.yaml:3:19: unknown \
job 'bea': no file in jobs/ has that job type (did you mean 'bee'?)" "$rc|$ran|$err"

schedule bee '61 * * * *'
run_stau -C "$P" next eb
check "stau next refuses an entry whose trigger is bad" "2" "$rc"
tick
check "a bad cron expression disables its entry alone" "0|a c |stau: schedule.yaml:3:30: bad \
cron expression '61 * * * *': minute: '61' is out of range 0-59" "$rc|$ran|$err"

schedule bee
tick
check "fixed: the entry runs from the next minute on" "0|a bee c |" "$rc|$ran|$err"
cat >>"$P/schedule.yaml" <<'YAML'
  - {id: ev, job: a, every: 20m, start: "2026-03-02T00:05:00Z"}
YAML
run_stau -C "$P" next ev -n 2 --from 2026-03-02T10:00:00Z
check "stau next evaluates every: entries" "2026-03-02T10:05:00+00:00
2026-03-02T10:25:00+00:00" "$out"

job c.sh '#!/bin/sh
# ---
# chunk_size: many
# ---'
tick
check "a BROKEN job: its entry alone stops" "0|a bee |stau: jobs/c.sh:3:15: 'chunk_size' must \
be an integer >= 1 or 'all', got 'many'" "$rc|$ran|$err"
run_stau -C "$P" status
case "$out" in
*"  disabled: job 'c' is BROKEN: jobs/c.sh:3:15: 'chunk_size' must be"*)
	ok "status says the entry of the BROKEN job is disabled" ;;
*) not_ok "status says the entry of the BROKEN job is disabled" "$out" ;;
esac

printf 'schedule:\n  - {id: ea, job: a\n' >"$P/schedule.yaml"
tick
case "$rc|$ran|$err" in
"0||stau: schedule.yaml:"*) ok "a schedule.yaml that is not YAML: said, nothing new runs" ;;
*) not_ok "a schedule.yaml that is not YAML: said, nothing new runs" "$rc|$ran|$err" ;;
esac
tick
check "then silence" "0||" "$rc|$ran|$err"
run_stau -C "$P" status
case "$out" in
"schedule.yaml cannot be used: no new run is scheduled until it is fixed"*)
	ok "status says so at the top" ;;
*) not_ok "status says so at the top" "$out" ;;
esac
run_stau -C "$P" status --json
case "$out" in
*'"schedule_stopped": true,'*) ok "and in --json" ;;
*) not_ok "and in --json" "$out" ;;
esac

done_testing
