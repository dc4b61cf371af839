# tap.sh - TAP output for the shell tests, sourced by them
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   . "$(dirname "$0")/tap.sh"
#   tap_usage 2 "CLI MANPAGE" "$@"
#   echo "1..N"; ok "what held"; not_ok "what did not"; tap_note "$text"
#   tap_done    # last: the exit status, 0 only when nothing failed

n=0
failed=0

# tap_usage COUNT USAGE ARGS...: unless there are COUNT ARGS, says how the
# script is called and exits 2, before any TAP.
tap_usage ()
{
  if [ $(($# - 2)) -ne "$1" ]; then
    echo "usage: $0 $2" >&2
    exit 2
  fi
}

ok ()
{
  n=$((n + 1))
  echo "ok $n - $1"
}

not_ok ()
{
  n=$((n + 1))
  failed=$((failed + 1))
  echo "not ok $n - $1"
}

# Shows text under the last result as TAP comments.
tap_note ()
{
  printf '%s\n' "$1" | sed 's/^/# /'
}

tap_done ()
{
  [ "$failed" -eq 0 ]
}
