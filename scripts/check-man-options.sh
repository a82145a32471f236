#!/usr/bin/env bash
# Keeps the manual pages true to the programs: compares
#   - the long options of `resolvd --help` with those in man/resolvd.8.scd (OPTIONS section),
#   - the long options of `resolvdctl --help` with man/resolvdctl.1.scd's OPTIONS section,
#     its subcommands with the `## NAME` sections under COMMANDS, and each subcommand's
#     options (its `resolvdctl help NAME`, less --version/--help) with the options named
#     in that section (the synopsis line lists them all),
#   - the keys of config/resolvd.conf (`#key = value` lines) with the `*key* =` entries of
#     man/resolvd.conf.5.scd.
# Any difference is printed and the script exits 1.
#
# usage: scripts/check-man-options.sh [BINDIR]   (default: .build/debug)
set -euo pipefail
cd "$(dirname "$0")/.."
bindir=${1:-.build/debug}
resolvd=$bindir/resolvd
resolvdctl=$bindir/resolvdctl
for program in "$resolvd" "$resolvdctl"; do
  [ -x "$program" ] || { echo "check-man-options: $program is missing (build it first)" >&2; exit 2; }
done

failures=0
checks=0

# Long options in swift-argument-parser help: option lines start with exactly two spaces.
help_options() {
  "$@" | sed -n -E 's/^  (-[A-Za-z], )?(--[a-z0-9][a-z0-9-]*).*/\2/p' | sort -u
}

# Long options named in scdoc text as *--option*.
scd_options() {
  grep -oE '\*--[a-z0-9][a-z0-9-]*\*' | tr -d '*' | sort -u || true
}

# The lines of a `# TITLE` section of an scdoc file (up to the next `# ` heading).
scd_section() {
  awk -v title="# $2" '$0 == title {on = 1; next} /^# / {on = 0} on' "$1"
}

# The lines of a `## name` subsection (up to the next `#`/`##` heading).
scd_subsection() {
  awk -v title="## $2" '$0 == title {on = 1; next} /^##? / {on = 0} on' "$1"
}

compare() {
  local what=$1 expected=$2 documented=$3
  checks=$((checks + 1))
  local missing extra
  missing=$(comm -23 <(printf '%s\n' "$expected" | sed '/^$/d') <(printf '%s\n' "$documented" | sed '/^$/d'))
  extra=$(comm -13 <(printf '%s\n' "$expected" | sed '/^$/d') <(printf '%s\n' "$documented" | sed '/^$/d'))
  if [ -n "$missing" ] || [ -n "$extra" ]; then
    failures=$((failures + 1))
    echo "MISMATCH $what"
    [ -z "$missing" ] || echo "  missing from the manual page: $(echo $missing)"
    [ -z "$extra" ] || echo "  in the manual page but not in the program: $(echo $extra)"
  else
    echo "ok $what ($(printf '%s\n' "$expected" | sed '/^$/d' | wc -l) items)"
  fi
}

# resolvd(8)
compare "resolvd --help vs resolvd(8) OPTIONS" \
  "$(help_options "$resolvd" --help)" \
  "$(scd_section man/resolvd.8.scd OPTIONS | scd_options)"

# resolvdctl(1): global options, subcommands, each subcommand's options.
compare "resolvdctl --help vs resolvdctl(1) OPTIONS" \
  "$(help_options "$resolvdctl" --help)" \
  "$(scd_section man/resolvdctl.1.scd OPTIONS | scd_options)"

subcommands=$("$resolvdctl" --help | awk '/^SUBCOMMANDS:/ {on = 1; next} on && /^  [a-z]/ {print $1}' | sort -u)
compare "resolvdctl subcommands vs resolvdctl(1) COMMANDS" \
  "$subcommands" \
  "$(scd_section man/resolvdctl.1.scd COMMANDS | sed -n -E 's/^## ([a-z0-9-]+)$/\1/p' | sort -u)"

for sub in $subcommands; do
  compare "resolvdctl help $sub vs resolvdctl(1) ## $sub" \
    "$(help_options "$resolvdctl" help "$sub" | grep -vxE -- '--version|--help' || true)" \
    "$(scd_subsection man/resolvdctl.1.scd "$sub" | scd_options)"
done

# Every option the page describes anywhere exists in some command.
all_ctl=$( { help_options "$resolvdctl" --help; for sub in $subcommands; do help_options "$resolvdctl" help "$sub"; done; } | sort -u)
compare "all resolvdctl options vs all of resolvdctl(1)" "$all_ctl" "$(scd_options < man/resolvdctl.1.scd)"

# resolvd.conf(5)
compare "config/resolvd.conf keys vs resolvd.conf(5)" \
  "$(sed -n -E 's/^#?([a-z][a-z0-9_]*) *=.*/\1/p' config/resolvd.conf | sort -u)" \
  "$(grep -oE '\*[a-z][a-z0-9_]*\* =' man/resolvd.conf.5.scd | sed -E 's/\*([a-z0-9_]+)\* =/\1/' | sort -u)"

echo "check-man-options: $((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
