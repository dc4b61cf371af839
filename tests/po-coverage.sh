#!/usr/bin/env bash
# po-coverage.sh - every string a user sees is in po/zh_CN.po, translated
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   po-coverage.sh SOURCE_ROOT LANG
# msgfmt --check on the .po alone cannot see a string added to the code
# and never merged into the .po. This extracts the strings from the
# sources the way the build's -pot target does, merges them into the
# translation without fuzzy matching, and fails on anything untranslated;
# it also fails on a source file with translatable strings that
# po/POTFILES.in does not list.
. "$(dirname "$0")/tap.sh"
tap_usage 2 "SOURCE_ROOT LANG" "$@"

root=$1
lang=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "1..2"

missing=""
while IFS= read -r f; do
  grep -qxF "$f" "$root/po/POTFILES.in" || missing="$missing $f"
done < <(cd "$root" && grep -rlE '_\("|N_\("|translatable="yes"' src --include='*.c' --include='*.ui' | sort)
if [ -z "$missing" ]; then
  ok "po/POTFILES.in lists every source file with translatable strings"
else
  not_ok "po/POTFILES.in lists every source file with translatable strings"
  tap_note "not listed:$missing"
fi

(cd "$root" && xgettext --files-from=po/POTFILES.in --output="$tmp/all.pot" --from-code=UTF-8 \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
  --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 --package-name=heartbeat-lab 2>"$tmp/xgettext.err")
status=$?
if [ $status -ne 0 ]; then
  not_ok "every message of the sources is translated in $lang.po"
  tap_note "xgettext failed: $(cat "$tmp/xgettext.err")"
  tap_done
  exit
fi
msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" "$root/po/$lang.po" "$tmp/all.pot"
stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/merged.po" 2>&1)
case $stats in
  *untranslated*|*fuzzy*)
    not_ok "every message of the sources is translated in $lang.po"
    tap_note "$stats"
    tap_note "$(msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep -A1 '^msgid' | head -n 40)"
    ;;
  *)
    ok "every message of the sources is translated in $lang.po ($stats)"
    ;;
esac
tap_done
