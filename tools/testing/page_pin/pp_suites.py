# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: the suites run in guests: KUnit in three modes, the
# selftests, the base comparison.
"""The suites run in guests."""

import json
import os
import re
import sys

from pp_common import RESULTS, log, read_text
from pp_arches import (ARCHES, KUNIT_SKIPS, MODES, kunit_skip_budget,
                       pin_test_skip_budget)
from pp_kernel import build_base_kernel, build_run_kernel
from pp_guest import boot, build_userspace, make_initramfs
from pp_parser import (count_cases, judge_boot, judge_kunit, judge_selftests,
                       kunit_parse, parse_selftest_log, splats)


def run_kunit(arch, kernel, mode, extra_cmdline='', label=None):
    os.makedirs(RESULTS, exist_ok=True)
    name = f'kunit-{arch}-{label or mode}'
    logfile = os.path.join(RESULTS, name + '.log')
    cmdline = f'page_pin={mode} kunit_shutdown=reboot {extra_cmdline}'
    log(f'{name}: booting ({cmdline.strip()})')
    text, status, dt = boot(arch, kernel, cmdline, logfile)
    counts = {'passed': 0, 'failed': 0, 'skipped': 0, 'failures': []}
    jsonfile = os.path.join(RESULTS, name + '.json')
    res = kunit_parse(logfile, jsonfile)
    if os.path.exists(jsonfile) and os.path.getsize(jsonfile) > 0:
        with open(jsonfile, encoding='utf-8') as f:
            count_cases(json.load(f), counts)
    else:
        sys.stdout.write(res.stdout[-2000:])
    problems = judge_kunit(text, status, counts, mode,
                           ARCHES[arch]['backend'],
                           kunit_skip_budget(arch, label if label in
                                             KUNIT_SKIPS else mode),
                           'panic_on_warn=1' in extra_cmdline)
    judge_boot(name, text, problems, counts)
    # Keep the lines that show what the feature said at boot.
    boot_lines = [ln for ln in text.splitlines()
                  if 'page_pin' in ln and 'Kernel command line' not in ln
                  or 'page_ext' in ln]
    log(f'{name}: {counts["passed"]} passed, {counts["failed"]} failed, '
        f'{counts["skipped"]} skipped in {dt:.0f} s')
    return {'arch': arch, 'mode': label or mode, 'suite': 'kunit',
            'passed': counts['passed'], 'failed': counts['failed'],
            'skipped': counts['skipped'], 'failures': counts['failures'],
            'seconds': round(dt), 'boot_lines': boot_lines[:8]}


# make check-full's soak: the KUnit stress test alone, until it has made at
# least this many pin/unpin operations (page_pin_kunit.soak_ops=).
SOAK_OPS = 1000000
SOAK_RE = re.compile(r'page_pin order: \d+ rounds, (\d+) pin/unpin ops, '
                     r'(\d+) checks, (\d+) of them')


def soak_row(arch, kernel):
    """The soak: stress_test with page_pin=on and SOAK_OPS operations."""
    row = run_kunit(arch, kernel, 'on', 'kunit.filter_glob=page_pin.'
                    f'stress_test page_pin_kunit.soak_ops={SOAK_OPS}', 'soak')
    text = read_text(os.path.join(RESULTS, f'kunit-{arch}-soak.log')) or ''
    m = SOAK_RE.search(text)
    ops = int(m.group(1)) if m else 0
    if ops < SOAK_OPS:
        row['failed'] += 1
        row['failures'].append(f'soak: {ops} pin/unpin ops, expected at '
                               f'least {SOAK_OPS}')
    row['suite'] = f'soak: kunit stress_test, {ops} pin/unpin ops' + (
        f', {m.group(2)} checks, {m.group(3)} by folio_maybe_dma_pinned()'
        if m else '')
    return row


# The gup part of run_vmtests.sh, plus the COW and long-term pin suites.
UPSTREAM_TESTS = ['gup_test -u', 'gup_test -a',
                  'gup_test -ct -F 0x1 0 19 0x1000', 'cow', 'gup_longterm']


def gup_matrix(arch):
    """run_vmtests.sh's run_gup_matrix, on 16 MiB: for make check-full."""
    huge = ['-t', '-T'] + (['-H'] if ARCHES[arch]['thp'] else [])
    return [f'gup_test -m 16 {h} {t} {w} {sh}{n}'
            for h in huge for t in ('-u', '-U', '-a', '-b', '-L')
            for w in ('-w', '-W') for sh in ('-S ', '')
            for n in ('-n 1', '-n 512', '-n 123')]


def run_selftests(arch, kernel, mode, commands, label, upstream_budget):
    out = build_userspace(arch)
    cpio = make_initramfs(out, label, commands)
    name = f'selftest-{arch}-{label}'
    logfile = os.path.join(RESULTS, name + '.log')
    cmdline = f'kunit.enable=0 {ARCHES[arch].get("cmdline", "")}' + (
        f' page_pin={mode}' if mode in MODES else '')
    # Without page_pin=, CONFIG_PAGE_PIN_DEFAULT_ON must turn it on.
    judged = 'on' if mode == 'default-on' else mode
    log(f'{name}: booting ({cmdline})')
    text, status, dt = boot(arch, kernel, cmdline, logfile, initrd=cpio)
    counts, cases = parse_selftest_log(text)
    budgets = {'upstream': upstream_budget}
    if 'page_pin_test' in commands:
        budgets['page_pin_test'] = pin_test_skip_budget(arch, judged)
    problems = judge_selftests(text, status, cases, judged,
                               ARCHES[arch]['backend'], budgets)
    judge_boot(name, text, problems, counts)
    with open(os.path.join(RESULTS, name + '.json'), 'w',
              encoding='utf-8') as f:
        json.dump(cases, f, indent=1, sort_keys=True)
    log(f'{name}: {counts["passed"]} passed, {counts["failed"]} failed, '
        f'{counts["skipped"]} skipped in {dt:.0f} s')
    return {'arch': arch, 'mode': mode, 'suite': 'selftests',
            'passed': counts['passed'], 'failed': counts['failed'],
            'skipped': counts['skipped'], 'failures': counts['failures'],
            'seconds': round(dt)}, cases


def compare_with_base(arch, base_cases, runs):
    """Per-test diff of the upstream selftests: base vs patched."""
    rows, new_failures = [], []
    names = sorted(set(base_cases) | {n for c in runs.values() for n in c})
    for name in names:
        if name.startswith('page_pin_test'):
            continue
        b = base_cases.get(name, '-')
        vals = {m: c.get(name, '-') for m, c in runs.items()}
        if any(v != b for v in vals.values()):
            rows.append((name, b, vals))
        for m, v in vals.items():
            # Skipping what the base passes hides a failure as well.
            if v in ('FAIL', '-') and b in ('PASS', 'SKIP') or \
                    v == 'SKIP' and b == 'PASS':
                new_failures.append(f'{arch} page_pin={m}: {name} '
                                    f'({b} on base, {v} patched)')
    path = os.path.join(RESULTS, f'selftest-diff-{arch}.md')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(f'{arch}: {len(base_cases)} upstream cases on base; '
                f'{len(rows)} differ; {len(new_failures)} new failures\n')
        for name, b, vals in rows:
            f.write(f'- {name}: base {b}, ' + ', '.join(
                f'{m} {v}' for m, v in vals.items()) + '\n')
    ok = not new_failures
    return {'arch': arch, 'mode': 'vs base', 'suite': 'upstream-diff',
            'passed': int(ok), 'failed': int(not ok), 'skipped': 0,
            'failures': new_failures, 'seconds': 0}


def bad_option_boot(arch, kernel):
    """page_pin=banana: a warning naming the value, tracking stays off."""
    out = build_userspace(arch)
    cpio = make_initramfs(out, 'empty', [])
    name = f'bootopt-{arch}'
    logfile = os.path.join(RESULTS, name + '.log')
    text, status, dt = boot(arch, kernel, 'kunit.enable=0 page_pin=banana',
                            logfile, initrd=cpio)
    want = ['page_pin: ignoring malformed page_pin=banana (expected on, off '
            'or debug), keeping off', 'page_pin: tracking off,']
    missing = [w for w in want if w not in text]
    problems = missing + ([status] if status != 'ok' else []) + splats(text)
    log(f'{name}: {"ok" if not problems else problems}')
    return {'arch': arch, 'mode': 'banana', 'suite': 'boot option',
            'passed': int(not problems), 'failed': int(bool(problems)),
            'skipped': 0, 'failures': [f'{name}: {p}' for p in problems],
            'seconds': round(dt)}


def default_on_row():
    """make run's x86_64 kernel (CONFIG_PAGE_PIN_DEFAULT_ON=y) booted with
    no page_pin= option: tracking must be on, and page_pin_test pass."""
    row, _ = run_selftests('x86_64', build_run_kernel(), 'default-on',
                           ['page_pin_test'], 'default-on', 0)
    row['suite'] = 'selftests, CONFIG_PAGE_PIN_DEFAULT_ON=y, no option'
    return row


def selftest_matrix(arch, kernel, with_base, full=False):
    rows, runs = [bad_option_boot(arch, kernel)], {}
    upstream = UPSTREAM_TESTS + (gup_matrix(arch) if full else [])
    for mode in MODES:
        row, cases = run_selftests(
            arch, kernel, mode, ['page_pin_test'] + upstream, mode,
            None if with_base else ARCHES[arch]['upstream_skips'])
        rows.append(row)
        runs[mode] = cases
    if with_base:
        base_kernel = build_base_kernel(arch)
        row, cases = run_selftests(arch, base_kernel, 'base', upstream,
                                   'base', None)
        rows.append(row)
        rows.append(compare_with_base(arch, cases, runs))
    return rows
