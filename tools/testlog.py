#!/usr/bin/env python3
# tools/testlog.py — count TAP test cases and show failing logs of a meson test run.
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   testlog.py summary BUILDDIR    print "N passed, N failed[, N skipped]";
#                                  exit 1 when anything failed
#   testlog.py failures BUILDDIR   print the testlog.txt sections of the tests
#                                  that failed
#   testlog.py tap LOG STATUS      print "N passed, N failed[, N skipped]" for
#                                  one TAP script's output saved in LOG that
#                                  exited with STATUS (a test outside meson);
#                                  exit 1 when anything failed
#
# Counts come from BUILDDIR/meson-logs/testlog.json, one JSON object per test
# executable. We count TAP lines, not executables: "ok" passes, "not ok" fails,
# "# SKIP" skips, "not ok ... # TODO" is an expected failure (counted as
# skipped, as meson does not fail on it). An executable that meson judged
# failed without reporting a failing case (a crash, a timeout, a TAP error)
# counts as one more failure, so a crash is never hidden behind its passes.

import json
import os
import re
import sys

TAP_RESULT = re.compile(r'^(not )?ok\b(.*)$')
DIRECTIVE = re.compile(r'#\s*(SKIP|TODO)\b', re.IGNORECASE)
FAILED_RESULTS = {'FAIL', 'ERROR', 'TIMEOUT', 'UNEXPECTEDPASS', 'INTERRUPT'}
MAX_LOG_LINES = 300


def load_tests(builddir):
    path = os.path.join(builddir, 'meson-logs', 'testlog.json')
    tests = []
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                line = line.strip()
                if line:
                    tests.append(json.loads(line))
    except FileNotFoundError:
        pass
    return tests


def count_test(test):
    """Return (passed, failed, skipped) for one test executable."""
    # meson 1.0 names the fields stdout/stderr; some versions stdo/stde.
    out = test.get('stdout', test.get('stdo')) or ''
    passed = failed = skipped = 0
    seen = 0
    for line in out.splitlines():
        if line.startswith('Bail out!'):
            failed += 1
            continue
        m = TAP_RESULT.match(line)
        if not m:
            continue
        seen += 1
        ok = m.group(1) is None
        d = DIRECTIVE.search(m.group(2))
        directive = d.group(1).upper() if d else None
        if directive == 'SKIP':
            skipped += 1
        elif directive == 'TODO':
            if ok:
                failed += 1     # unexpected pass, a failure for meson too
            else:
                skipped += 1    # expected failure
        elif ok:
            passed += 1
        else:
            failed += 1

    result = test.get('result', '')
    if result in FAILED_RESULTS and failed == 0:
        failed += 1
    elif seen == 0 and failed == 0:
        # Not a TAP test, or it printed nothing: judge it by meson's result.
        if result == 'SKIP':
            skipped += 1
        elif result in ('OK', 'EXPECTEDFAIL'):
            passed += 1
    return passed, failed, skipped


def is_failed(test):
    return count_test(test)[1] > 0


def summary(builddir):
    passed = failed = skipped = 0
    for test in load_tests(builddir):
        p, f, s = count_test(test)
        passed += p
        failed += f
        skipped += s
    line = f'{passed} passed, {failed} failed'
    if skipped:
        line += f', {skipped} skipped'
    print(line)
    return 1 if failed else 0


TAP_PLAN = re.compile(r'^1\.\.(\d+)')


def tap(path, status):
    """Count one TAP stream as meson would judge it: a non-zero exit
    status, or fewer or more results than the plan, is a failure too."""
    with open(path, encoding='utf-8', errors='replace') as f:
        out = f.read()
    plans = [int(m.group(1)) for m in map(TAP_PLAN.match, out.splitlines()) if m]
    results = sum(1 for line in out.splitlines() if TAP_RESULT.match(line))
    result = 'OK'
    if status != 0 or len(plans) != 1 or plans[0] != results:
        result = 'FAIL'
    passed, failed, skipped = count_test({'stdout': out, 'result': result})
    line = f'{passed} passed, {failed} failed'
    if skipped:
        line += f', {skipped} skipped'
    print(line)
    return 1 if failed else 0


def split_txt_log(path):
    """Yield (test name, section text) from a meson testlog.txt."""
    header = re.compile(r'^=+ \d+/\d+ =+$')
    footer = re.compile(r'^=+$')
    name = None
    section = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if header.match(line):
                name, section = None, [line]
            elif section and footer.match(line):
                section.append(line)
                yield name, section
                section = []
            elif section:
                if name is None and line.startswith('test:'):
                    name = line[len('test:'):].strip()
                section.append(line)


def print_section(lines):
    if len(lines) > MAX_LOG_LINES:
        head = lines[:8]
        tail = lines[-(MAX_LOG_LINES - 8):]
        lines = head + [f'[... {len(lines) - MAX_LOG_LINES} lines cut ...]'] + tail
    print('\n'.join(lines))


def failures(builddir):
    failing = [t.get('name', '?') for t in load_tests(builddir) if is_failed(t)]
    if not failing:
        return 0
    txt = os.path.join(builddir, 'meson-logs', 'testlog.txt')
    printed = set()
    if os.path.exists(txt):
        for name, section in split_txt_log(txt):
            if name in failing and name not in printed:
                print_section(section)
                print()
                printed.add(name)
    for name in failing:
        if name not in printed:
            print(f'(no log section found for failing test "{name}")')
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == 'tap' and argv[3].isdigit():
        return tap(argv[2], int(argv[3]))
    if len(argv) != 3 or argv[1] not in ('summary', 'failures'):
        print(f'usage: {argv[0]} summary|failures BUILDDIR', file=sys.stderr)
        print(f'       {argv[0]} tap LOG STATUS', file=sys.stderr)
        return 2
    if argv[1] == 'summary':
        return summary(argv[2])
    return failures(argv[2])


if __name__ == '__main__':
    sys.exit(main(sys.argv))
