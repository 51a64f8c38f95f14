# bash completion for stau                                    -*- shell-script -*-
#
# Installed by `make install` as $(PREFIX)/share/bash-completion/completions/stau, where the
# bash-completion package finds it when `stau` is first completed; without that package,
# `source` this file from ~/.bashrc.
#
# Commands and options are read from stau itself: the commands from `stau --help`, and a
# command's options, which of them take a value and what the command's arguments are from
# its usage text (`stau CMD --help`: "usage: stau run JOB [--ids LIST] [--kw K=V]..."). So
# a newer stau completes its new commands without a change here. What only the project
# knows comes from the hidden `stau complete jobs|entries|runs`, run in the project given
# by -C on the line (else $STAU_DIR or the current directory, as stau itself does). An
# argument or a value named JOB completes job types, RUN run ids, ENTRY_ID schedule entries,
# DIR directories and F or FILE file names; other values (N, TIME, K=V) complete nothing.

# _stau_run STAU DIR ARGS...: stau's output for ARGS, in project DIR (or none), errors dropped.
_stau_run()
{
	local stau=$1 dir=$2
	shift 2
	if [[ -n $dir ]]; then
		"$stau" -C "$dir" "$@" 2>/dev/null
	else
		"$stau" "$@" 2>/dev/null
	fi
}

# _stau_commands STAU: the commands of `stau --help`, one per line.
_stau_commands()
{
	"$1" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && !NF { exit }
		on && /^  [a-z]/ { print $1 }'
}

# _stau_grammar STAU CMD: what CMD takes, from its usage text and option lines, as lines
#   opt NAME [VALUE]   an option, and the word naming its value when it takes one
#   arg WORD           the next positional argument ("JOB", "RUN", "EXPR|ENTRY_ID", "DIR")
# The global options of `stau --help` come first.
_stau_grammar()
{
	{
		"$1" --help 2>/dev/null | awk '/^options/ { on = 1; next } on && /^  -/ { print }'
		"$1" "$2" --help 2>/dev/null
	} | awk -v cmd="$2" '
	function upper(w) { return w ~ /^[A-Z][A-Z_=|]*$/ }
	function opt(o, v) { if (!done[o]++) print "opt", o, v }
	# a usage line: "usage: stau CMD ..." and "       stau CMD ..." after it
	/^usage: / { usage = 1 }
	usage && !NF { usage = 0 }
	usage {
		gsub(/[][]|\.\.\./, " ")
		n = split($0, w, " ")
		for (i = 1; i <= n; i++) {
			if (w[i] == "usage:" || w[i] == "stau" || w[i] == cmd)
				continue
			if (w[i] ~ /^-/) {
				if (i < n && upper(w[i + 1])) { opt(w[i], w[i + 1]); i++ }
				else opt(w[i], "")
			} else if (upper(w[i]) && !seen[w[i]]++) {
				print "arg", w[i]
			}
		}
		next
	}
	# an option line: "  -j N         run at most ...", "  -q, -v       quieter ..."
	/^  -/ {
		n = split($0, w, " ")
		for (i = 1; i <= n && w[i] ~ /^-/; i++) {
			o = w[i]; sub(/,$/, "", o)
			if (w[i] !~ /,$/ && i < n && upper(w[i + 1])) opt(o, w[i + 1])
			else opt(o, "")
		}
	}
	END { opt("--help", "") }'
}

# _stau_values STAU DIR KIND: the words for a value or argument named KIND, into COMPREPLY.
_stau_values()
{
	local stau=$1 dir=$2 kind=$3 cur=${COMP_WORDS[COMP_CWORD]} list=
	case $kind in
	JOB) list=$(_stau_run "$stau" "$dir" complete jobs) ;;
	RUN) list=$(_stau_run "$stau" "$dir" complete runs) ;;
	*ENTRY*) list=$(_stau_run "$stau" "$dir" complete entries) ;;
	DIR)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return ;;
	F | FILE)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	*) return ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$list" -- "$cur")
}

# _stau_kind_of OPTION: the word naming the value of OPTION, from _stau's array `valued`
# ("--ids=LIST" ...), or nothing when it takes none.
_stau_kind_of()
{
	local v
	for v in "${valued[@]}"; do
		[[ ${v%%=*} == "$1" ]] && { echo "${v#*=}"; return; }
	done
}

_stau()
{
	local stau=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} dir= cmd= i w
	COMPREPLY=()
	# the project (-C DIR anywhere before the cursor) and the command (the first word that
	# is neither an option nor -C's value)
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-C) ((i++)); dir=${COMP_WORDS[i]} ;;
		--state) ((i++)) ;;
		-C?*) dir=${w#-C} ;;
		-*) ;;
		*) [[ -z $cmd ]] && cmd=$w ;;
		esac
	done
	dir=${dir/#\~/$HOME}
	if [[ ${COMP_WORDS[COMP_CWORD - 1]} == -C || ${COMP_WORDS[COMP_CWORD - 1]} == --state ]]; then
		_stau_values "$stau" "" DIR
		return
	fi
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "-C --state -q -v --no-color --version --help" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_stau_commands "$stau")" -- "$cur")
		fi
		return
	fi

	local grammar kind opts= args=() valued=() nargs=0 skip=
	grammar=$(_stau_grammar "$stau" "$cmd")
	local what name value
	while read -r what name value; do
		if [[ $what == opt ]]; then
			opts+=" $name"
			[[ -n $value ]] && valued+=("$name=$value")
		else
			args+=("$name")
		fi
	done <<<"$grammar"
	# the word before the cursor is an option that takes a value: complete the value
	kind=$(_stau_kind_of "${COMP_WORDS[COMP_CWORD - 1]}")
	if [[ -n $kind ]]; then
		_stau_values "$stau" "$dir" "$kind"
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi
	# which argument this is: count the words after the command that are no option and no
	# option's value
	local seen_cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -C ]]; then ((i++)); continue; fi
		if [[ $w == -* ]]; then
			[[ $w != *=* && -n $(_stau_kind_of "$w") ]] && ((i++))
			continue
		fi
		if [[ -z $seen_cmd ]]; then seen_cmd=1; continue; fi
		((nargs++))
	done
	((nargs < ${#args[@]})) && _stau_values "$stau" "$dir" "${args[nargs]}"
}

complete -F _stau stau
