#!/bin/sh
# man-page-test.sh - the manual page and heartbeat-lab-cli --help agree
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: man-page-test.sh CLI MANPAGE
#   For each command, every long option --help shows must be documented in
#   the page's "COMMAND options" section, and every option documented there
#   must still exist. Prints TAP.

set -u

. "$(dirname "$0")/tap.sh"
tap_usage 2 "CLI MANPAGE" "$@"

cli=$1
page=$2
commands="server client capture analyze check-server check-client"

# Long options of one command, from its --help (GOption's layout).
help_options ()
{
  LC_ALL=C.UTF-8 "$cli" "$1" --help 2>/dev/null \
    | grep -E '^ +(-[a-zA-Z], )?--[a-z]' \
    | sed -E 's/^ +(-[a-zA-Z], )?(--[a-z][a-z-]*).*/\2/' \
    | grep -v -x -e '--help' -e '--help-all' \
    | sort -u
}

# Long options in the page's "COMMAND options" subsection.
page_options ()
{
  sed 's/\\-/-/g' "$page" \
    | awk -v want=".SS \"$1 options\"" '
        $0 == want { inside = 1; next }
        inside && /^\.S[SH]/ { inside = 0 }
        inside { print }' \
    | grep -E '^\.(B|BR) ' \
    | grep -o -E -e '--[a-z][a-z-]*' \
    | sort -u
}

echo "1..$(($(echo "$commands" | wc -w) * 2 + 1))"

# The top-level help names every command the page has a section for.
top=$(LC_ALL=C.UTF-8 "$cli" --help 2>/dev/null)
missing=""
for command in $commands; do
  printf '%s\n' "$top" | grep -q -E "^  $command " || missing="$missing $command"
  grep -q -x -F ".SS $command" "$page" || missing="$missing $command(page)"
done
if [ -z "$missing" ]; then
  ok "--help and the page both list: $commands"
else
  not_ok "commands missing from --help or the page:$missing"
fi

for command in $commands; do
  from_help=$(help_options "$command")
  from_page=$(page_options "$command")

  undocumented=$(printf '%s\n' "$from_help" | grep -v -x -F -e "$(printf '%s\n' "$from_page")" || true)
  if [ -n "$from_help" ] && [ -z "$undocumented" ]; then
    ok "$command: every option in --help is in the page ($(echo $from_help))"
  else
    not_ok "$command: options in --help but not in the page: $(echo $undocumented)"
  fi

  stale=$(printf '%s\n' "$from_page" | grep -v -x -F -e "$(printf '%s\n' "$from_help")" || true)
  if [ -n "$from_page" ] && [ -z "$stale" ]; then
    ok "$command: every option in the page is in --help"
  else
    not_ok "$command: options in the page but not in --help: $(echo $stale)"
  fi
done

tap_done
