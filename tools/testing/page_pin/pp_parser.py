# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: console-log parsers and judges: KUnit, kselftest TAP,
# splats and debug reports.
"""Console-log parsers and judges."""

import os
import re
import subprocess
import sys

from pp_common import TREE


# Anything that looks like a kernel splat fails a run, even when every
# test case reported ok.
SPLAT_RE = re.compile(
    r'(------------\[ cut here \]------------|WARNING: CPU: |'
    r'WARNING: possible |WARNING: inconsistent |BUG: |kernel BUG at|'
    r'Bad page state|Oops[: ]|Kernel panic|Unable to handle kernel|'
    r'general protection fault|KASAN: |UBSAN: |page_pin: .*mismatch|'
    r'INFO: task .* blocked)')


def splats(text):
    return [ln for ln in text.splitlines() if SPLAT_RE.search(ln)]


# The first line of a page_pin=debug report.  Every boot must print exactly
# the reports its tests provoke on purpose: one per KUnit debug case, one
# per page that page_pin_test leaks.  Any other report is a false one.
REPORT_RE = re.compile(r'page_pin: pfn 0x[0-9a-f]+: ')
KUNIT_DEBUG_REPORTS = 5
SELFTEST_LEAK_PAGES = 4


def check_reports(text, expected, problems):
    found = [ln for ln in text.splitlines() if REPORT_RE.search(ln)]
    if len(found) != expected:
        problems.append(f'{len(found)} page_pin=debug report(s), expected '
                        f'{expected}: ' + ' | '.join(found[:6]))
    return len(found)


def judge_boot(name, text, problems, counts):
    """A boot with problems (or any kernel splat) counts as one failure,
    shown with its last console lines."""
    spl = splats(text)
    if spl:
        problems.append(f'{len(spl)} kernel splat line(s)')
    if problems:
        counts['failed'] += 1
        counts['failures'].append(f'{name}: ' + '; '.join(problems))
        tail = '\n'.join(text.splitlines()[-40:])
        print(f'---- {name}: {"; ".join(problems)}; last console lines:\n'
              f'{tail}\n---- splats:\n' + '\n'.join(spl[:20]) + '\n----')


def kunit_parse(logfile, jsonfile):
    parser = os.path.join(TREE, 'tools/testing/kunit/kunit.py')
    res = subprocess.run([sys.executable, parser, 'parse',
                          f'--json={jsonfile}', logfile],
                         capture_output=True, text=True)
    return res


def count_cases(group, counts):
    for case in group.get('test_cases', []):
        st = case['status']
        key = {'PASS': 'passed', 'SKIP': 'skipped'}.get(st, 'failed')
        counts[key] += 1
        if key == 'failed':
            counts['failures'].append(f'{group["name"]}.{case["name"]}')
    for sub in group.get('sub_groups', []):
        count_cases(sub, counts)


# Under panic_on_warn=1 the debug cases that provoke reports must skip
# (each report ends in check_panic_on_warn()), and no report may appear.
PANIC_SKIP = '# SKIP provokes reports, and panic_on_warn is set'
PANIC_SKIPS = 5


def tap_row(suite, text, seconds):
    """Count a TAP stream's own "ok"/"not ok" lines."""
    passed = len(re.findall(r'^ok \d+', text, re.M))
    failures = re.findall(r'^not ok \d+ (.*)$', text, re.M)
    return {'arch': '-', 'mode': '-', 'suite': suite, 'passed': passed,
            'failed': len(failures), 'skipped': 0,
            'failures': failures, 'seconds': round(seconds)}


RESULT_RE = re.compile(r'^(not )?ok (\d+)\s*([^#]*?)\s*(#\s*(\w+).*)?$')
TOTALS_RE = re.compile(r'^# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) '
                       r'xpass:(\d+) skip:(\d+) error:(\d+)')


def stable_name(desc):
    """A case description without the numbers it measured, so that the
    base comparison keys "Extra pages 33 (0.1%)" and "Extra pages 31
    (0.1%)" as one case (the TAP number keeps cases apart)."""
    return re.sub(r'\d+(\.\d+)?', 'N', desc)


def parse_selftest_log(text):
    """Read the kselftest TAP that /init relays.

    kunit.py's KTAP parser rejects kselftest's unnamed "ok N # SKIP" lines,
    so each program is judged by kselftest's own "# Totals:" line and its
    exit status (printed by /init as "ok N prog" / "not ok N prog").  A
    program without a Totals line is judged by its own result lines, and a
    failing one fails whatever the exit status.  The per-case results,
    keyed by program, TAP number and the preceding "[RUN]" description
    (stable_name()), are kept for the comparison with the base.
    Returns (counts, cases).
    """
    counts = {'passed': 0, 'failed': 0, 'skipped': 0, 'failures': []}
    cases = {}
    block, desc = [], ''
    for line in text.splitlines():
        if line.startswith('    '):
            block.append(line[4:])
            continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        prog, prog_ok = m.group(3), not m.group(1)
        totals, inner = None, {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
        for sub in block:
            t = TOTALS_RE.match(sub)
            if t:
                totals = [int(x) for x in t.groups()]
            if '[RUN]' in sub or '#  RUN ' in sub:
                desc = sub.split('RUN', 1)[1].strip(' ]')
            r = RESULT_RE.match(sub)
            if r:
                status = 'FAIL' if r.group(1) else (
                    'SKIP' if (r.group(5) or '').upper() == 'SKIP' else 'PASS')
                inner[status] += 1
                name = f'{prog} #{r.group(2)} {r.group(3) or desc}'
                cases[stable_name(name)] = status
                if status == 'FAIL':
                    counts['failures'].append(name)
        block, desc = [], ''
        if totals:
            pas, fail, xfail, xpass, skip, err = totals
            fails = fail + xpass + err
            counts['passed'] += pas + xfail
            counts['skipped'] += skip
        elif any(inner.values()):
            fails = inner['FAIL']
            counts['passed'] += inner['PASS']
            counts['skipped'] += inner['SKIP']
        else:
            fails = 0
            if prog_ok:
                counts['skipped' if 'SKIP' in line else 'passed'] += 1
        counts['failed'] += fails
        if not prog_ok and fails == 0:
            counts['failed'] += 1
            counts['failures'].append(f'{prog}: {line}')
    return counts, cases


def tracking_problems(text, mode, backend):
    """What the boot must say about the mode it was given: a page_pin=on
    kernel whose tracking stayed off would otherwise pass as the off row."""
    said = f'page_pin: tracking {"off" if mode == "off" else "on"}, ' \
        f'{backend} backend'
    want = {'on': [said], 'off': [said],
            'debug': [said, 'page_pin: debug: exact pin counts']}
    return [f'the boot does not say "{w}"' for w in want.get(mode, [])
            if w not in text]


def skip_problems(what, skipped, budget):
    """More skips than the mode explains fail the run."""
    if skipped > budget:
        return [f'{what}: {skipped} skipped, at most {budget} expected']
    return []


def judge_kunit(text, status, counts, mode, backend, skip_budget,
                panic_on_warn=False):
    """The problems of one KUnit boot, from its console log, the boot
    status and the parsed case counts."""
    problems = [] if status == 'ok' else [status]
    if counts['passed'] + counts['failed'] + counts['skipped'] == 0:
        problems.append('no KUnit results parsed')
    problems += tracking_problems(text, mode, backend)
    problems += skip_problems('KUnit', counts['skipped'], skip_budget)
    check_reports(text, KUNIT_DEBUG_REPORTS if mode == 'debug' and
                  not panic_on_warn else 0, problems)
    if panic_on_warn and text.count(PANIC_SKIP) != PANIC_SKIPS:
        problems.append(f'{text.count(PANIC_SKIP)} cases skipped for '
                        f'panic_on_warn, expected {PANIC_SKIPS}')
    return problems


def judge_selftests(text, status, cases, mode, backend, budgets):
    """The problems of one selftest boot.  budgets maps "page_pin_test"
    (absent when the boot did not run it) and "upstream" to the skips each
    may report; an upstream budget of None means no limit, where the base
    comparison judges the upstream skips."""
    problems = [] if status == 'ok' else [status]
    if '# page_pin selftests done' not in text:
        problems.append('the run did not finish')
    if not cases:
        problems.append('no TAP results parsed')
    if mode != 'base':
        problems += tracking_problems(text, mode, backend)
    ours = [n for n in cases if n.startswith('page_pin_test ')]
    if 'page_pin_test' in budgets and not ours:
        problems.append('page_pin_test reported no cases')
    for what, names in (('page_pin_test', ours),
                        ('upstream', [n for n in cases if n not in ours])):
        if budgets.get(what) is not None:
            problems += skip_problems(what, sum(
                cases[n] == 'SKIP' for n in names), budgets[what])
    check_reports(text, SELFTEST_LEAK_PAGES if mode == 'debug' and
                  'page_pin_test' in budgets else 0, problems)
    return problems
