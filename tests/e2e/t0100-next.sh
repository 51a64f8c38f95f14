#!/bin/sh
# stau next: fire times of expressions and schedule entries, zones, daylight saving, errors.
. "$(dirname "$0")/lib.sh"

mkproject p
cd "$P" || exit 1

run_stau next '*/20 * * * *' --from 2026-03-29T01:30:00Z
check "five times by default, in UTC" "2026-03-29T01:40:00+00:00
2026-03-29T02:00:00+00:00
2026-03-29T02:20:00+00:00
2026-03-29T02:40:00+00:00
2026-03-29T03:00:00+00:00" "$out"
check "and exit 0" "0 " "$rc $err"

run_stau next -n 3 '0 0 29 2 *' --from 2026-01-01T00:00:00Z
check "-n 3: leap days" "2028-02-29T00:00:00+00:00
2032-02-29T00:00:00+00:00
2036-02-29T00:00:00+00:00" "$out"

run_stau next '@weekly' -n 2 --from @1774747800
check "--from @EPOCH, a macro" "2026-04-05T00:00:00+00:00
2026-04-12T00:00:00+00:00" "$out"

run_stau next '0 0 13 * FRI' -n 4 --from 2026-03-01T00:00:00+01:00 --tz Europe/Copenhagen
check "either day field matches, in a zone" "2026-03-06T00:00:00+01:00
2026-03-13T00:00:00+01:00
2026-03-20T00:00:00+01:00
2026-03-27T00:00:00+01:00" "$out"

# the night clocks go forward in Copenhagen (02:00 -> 03:00 on 2026-03-29)
run_stau next '30 2 * * *' -n 3 --tz Europe/Copenhagen --from 2026-03-28T00:00:00Z
check "a skipped time fires once at the end of the gap" "2026-03-28T02:30:00+01:00
2026-03-29T03:00:00+02:00
2026-03-30T02:30:00+02:00" "$out"
run_stau next '0 * * * *' -n 3 --tz Europe/Copenhagen --from 2026-03-28T23:30:00Z
check "an hourly entry skips the missing hour" "2026-03-29T01:00:00+01:00
2026-03-29T03:00:00+02:00
2026-03-29T04:00:00+02:00" "$out"

# the night clocks go back in New York (02:00 -> 01:00 on 2026-11-01)
run_stau next '0 * * * *' -n 3 --tz America/New_York --from 2026-11-01T00:30:00-04:00
check "an hourly entry fires in both repeated hours" "2026-11-01T01:00:00-04:00
2026-11-01T01:00:00-05:00
2026-11-01T02:00:00-05:00" "$out"
run_stau next '0 1 * * *' -n 2 --tz America/New_York --from 2026-10-31T12:00:00Z
check "a fixed time fires at its first occurrence only" "2026-11-01T01:00:00-04:00
2026-11-02T01:00:00-05:00" "$out"

cat >"$P/schedule.yaml" <<'YAML'
settings:
  timezone: Europe/Copenhagen
schedule:
  - id: nightly
    job: hello
    cron: "30 2 * * *"
  - id: quarter
    job: hello
    every: 15m
    start: 2026-01-01T00:05:00Z
    timezone: UTC
YAML
job hello.sh '#!/bin/sh
# ---
# description: says hello
# ---
echo hello'
run_stau next nightly -n 2 --from 2026-03-28T12:00:00Z
check "an entry keeps its own zone" "2026-03-29T03:00:00+02:00
2026-03-30T02:30:00+02:00" "$out"
run_stau next nightly -n 1 --from 2026-03-28T12:00:00Z --tz America/New_York
check "--tz only changes how an entry's times are printed" "2026-03-28T21:00:00-04:00" "$out"
run_stau next quarter -n 3 --from 2026-03-28T12:00:00Z
check "an interval entry, anchored at its start" "2026-03-28T12:05:00+00:00
2026-03-28T12:20:00+00:00
2026-03-28T12:35:00+00:00" "$out"
run_stau -C "$P" next nigthly
check "an unknown entry exits 2" 2 "$rc"
check "and suggests the nearest" "stau: no schedule entry 'nigthly' (did you mean 'nightly'?)
see 'stau next --help'" "$err"

cd "$TMP" || exit 1
run_stau next '0 0 32 * *'
check "a bad field exits 2" 2 "$rc"
check "naming the field and the text" \
	"stau: cron expression '0 0 32 * *': day of month: '32' is out of range 1-31
see 'stau next --help'" "$err"
check "and prints nothing" "" "$out"
run_stau next '0 0 31 2 *'
check "an expression that never fires is refused" \
	"2 stau: cron expression '0 0 31 2 *': never fires: day of month '31' does not exist in month '2'" \
	"$rc $(printf '%s\n' "$err" | head -n 1)"
run_stau next '* * * *'
check "four fields" "2 stau: cron expression '* * * *': expected 5 fields, got 4" \
	"$rc $(printf '%s\n' "$err" | head -n 1)"
run_stau next '* * * * *' --from yesterday
check "a bad --from" "2 stau: --from: bad time 'yesterday': expected YYYY-MM-DDTHH:MM[:SS], optionally followed by Z or an offset like +02:00 (none: UTC), or @EPOCH" \
	"$rc $(printf '%s\n' "$err" | head -n 1)"
run_stau next '* * * * *' --tz Europe/Kopenhagen
check "a bad --tz" "2 stau: --tz: unknown time zone 'Europe/Kopenhagen'" \
	"$rc $(printf '%s\n' "$err" | head -n 1)"
run_stau next '* * * * *' -n 0
check "a bad -n" "2 stau: -n: '0' is not a number from 1 to 10000" \
	"$rc $(printf '%s\n' "$err" | head -n 1)"
run_stau next '*/5' '*' '*' '*' '*'
check "an unquoted expression" "2 stau: expected one argument, got 5: quote the expression, e.g. stau next '*/15 * * * *'" \
	"$rc $(printf '%s\n' "$err" | head -n 1)"
run_stau next
check "no argument" "2 stau: missing a cron expression or schedule entry id" \
	"$rc $(printf '%s\n' "$err" | head -n 1)"

mkproject nextentries
job a.sh '#!/bin/sh
# ---
# ---'
cat >"$P/schedule.yaml" <<'YAML'
schedule:
  - id: every
    job: a
    every: 15m
    start: 2026-01-01T00:05:00Z
  - id: off
    job: a
    cron: "0 * * * *"
    enabled: false
YAML
run_stau -C "$P" next every --from 2026-03-01T10:00:00Z -n 2
check "an every: entry, from its start" "0|2026-03-01T10:05:00+00:00
2026-03-01T10:20:00+00:00|" "$rc|$out|$err"
run_stau -C "$P" next off --from 2026-03-01T10:00:00Z -n 1
check "a disabled entry says so" "0|2026-03-01T11:00:00+00:00|stau: entry 'off' is disabled \
(enabled: false): tick does not run it at these times" "$rc|$out|$err"

run_stau next '*/10 * * * *'
check "from now by default: five lines" 5 "$(printf '%s\n' "$out" | grep -c '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9]0:00+00:00$')"
done_testing
