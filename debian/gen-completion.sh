#!/bin/sh
# gen-completion.sh BINDIR OUTDIR - write the bash completions OUTDIR/rootlesskit
# and OUTDIR/rootlessctl from the --help output of the freshly built
# BINDIR/rootlesskit and BINDIR/rootlessctl (run by debian/rules), so the
# flag lists and their choices ("[host, none, ...]") follow the binaries.
set -eu
bin=$1
out=$2
mkdir -p "$out"

# flags HELPTEXT: one line per option: "NAME..|value|choices" (names split by
# spaces; value = 1 if it takes an argument; choices from the last [...] of
# its description, parenthesised remarks dropped)
flags() {
	awk '
	/^ +--/ {
		line = $0; sub(/^ +/, "", line)
		# the names part ends at two or more spaces
		split(line, parts, /  +/)
		names = parts[1]; desc = substr(line, length(names) + 1)
		val = (names ~ / value/) ? 1 : 0
		gsub(/ value/, "", names); gsub(/,/, "", names)
		ch = ""
		if (match(desc, /\[[^]]*\]/)) {
			ch = substr(desc, RSTART + 1, RLENGTH - 2)
			gsub(/\([^)]*\)/, "", ch); gsub(/,/, " ", ch); gsub(/ +/, " ", ch)
			sub(/^ /, "", ch); sub(/ $/, "", ch)
		}
		if (!val) ch = ""
		print names "|" val "|" ch
	}'
}

# emit_prev FLAGLINES: case arms completing the argument of a value flag
emit_prev() {
	while IFS='|' read -r names val ch; do
		[ "$val" = 1 ] || continue
		pat=$(echo "$names" | sed 's/ /|/g')
		case $names in
		--state-dir* | --copy-up\ * | --copy-up) action='_filedir -d' ;;
		--socket*) action='_filedir sock' ;;
		--*-binary*) action='_filedir' ;;
		*) if [ -n "$ch" ]; then action="COMPREPLY=(\$(compgen -W \"$ch\" -- \"\$cur\"))"; else action=':'; fi ;;
		esac
		printf '\t\t%s)\n\t\t\t%s\n\t\t\treturn\n\t\t\t;;\n' "$pat" "$action"
	done
}

# value_pat FLAGLINES: "a|b|c", the flags that take an argument
value_pat() {
	awk -F'|' '$2 == 1 { gsub(/ /, "|", $1); s = s (s ? "|" : "") $1 } END { print s }'
}
all_names() {
	awk -F'|' '{ s = s (s ? " " : "") $1 } END { print s }'
}

rk=$("$bin/rootlesskit" --help | flags)
cat >"$out/rootlesskit" <<EOT
# bash completion for rootlesskit                          -*- shell-script -*-
# Generated from \`rootlesskit --help\` by debian/gen-completion.sh.

_rootlesskit()
{
	local cur prev words cword split
	_init_completion -s || return

	# the first word that is neither an option nor an option's argument is
	# the command: complete it (and its arguments) as a command line
	local i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=\${COMP_WORDS[i]}
		case \$w in
		--)
			_command_offset \$((i + 1))
			return
			;;
		$(echo "$rk" | value_pat))
			if [[ \${COMP_WORDS[i + 1]-} == = ]]; then ((i += 2)); else ((i++)); fi
			;;
		-*) ;;
		*)
			_command_offset \$i
			return
			;;
		esac
	done

	case \$prev in
$(echo "$rk" | emit_prev)
	esac
	\$split && return

	if [[ \$cur == -* ]]; then
		COMPREPLY=(\$(compgen -W "$(echo "$rk" | all_names)" -- "\$cur"))
		return
	fi
	_command_offset \$COMP_CWORD
} &&
	complete -F _rootlesskit rootlesskit

# ex: filetype=sh
EOT

ctl_global=$("$bin/rootlessctl" --help | flags)
cmds=$("$bin/rootlessctl" --help | awk '/^COMMANDS:/ { c = 1; next } c && /^ +[a-z]/ { sub(/^ +/, ""); split($0, a, /  +/); n = a[1]; gsub(/,/, "", n); s = s (s ? " " : "") n; next } c && !/^ +/ { c = 0 } END { print s }')
cmd_arms=
for c in $cmds; do
	case $c in help | h) continue ;; esac
	f=$("$bin/rootlessctl" "$c" --help | flags | all_names)
	cmd_arms="$cmd_arms
	$c) opts=\"$f\" ;;"
done
cat >"$out/rootlessctl" <<EOT
# bash completion for rootlessctl                          -*- shell-script -*-
# Generated from \`rootlessctl --help\` by debian/gen-completion.sh.

_rootlessctl()
{
	local cur prev words cword split
	_init_completion -s || return

	case \$prev in
$(echo "$ctl_global" | emit_prev)
	esac
	\$split && return

	# the subcommand: the first word that is not an option or its argument
	local i cmd=
	for ((i = 1; i < cword; i++)); do
		case \${words[i]} in
		$(echo "$ctl_global" | value_pat)) ((i++)) ;;
		-*) ;;
		*)
			cmd=\${words[i]}
			break
			;;
		esac
	done

	local opts
	case \$cmd in
	"")
		if [[ \$cur == -* ]]; then
			COMPREPLY=(\$(compgen -W "$(echo "$ctl_global" | all_names)" -- "\$cur"))
		else
			COMPREPLY=(\$(compgen -W "$cmds" -- "\$cur"))
		fi
		return
		;;
	help | h)
		COMPREPLY=(\$(compgen -W "$cmds" -- "\$cur"))
		return
		;;$cmd_arms
	*) return ;;
	esac
	[[ \$cur == -* ]] && COMPREPLY=(\$(compgen -W "\$opts" -- "\$cur"))
} &&
	complete -F _rootlessctl rootlessctl

# ex: filetype=sh
EOT
