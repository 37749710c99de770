#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# page_pin test harness: prepare the patched tree, build one kernel per arch,
# boot it in QEMU with different command lines and collect the results with
# the kernel's own KTAP parser (tools/testing/kunit/kunit.py parse).
#
# Usage: pp.py tree | build ARCH... | check [--full] [ARCH...] | run | series
#        | work | export | readme | cocci-report | cocci-drivers | cocci-score
#
# This file is the command line and make check's order of work; each
# responsibility has its own module, as in tools/testing/kunit/:
#   pp_common   paths, logging, git and progress helpers
#   pp_arches   per-arch data, skip budgets
#   pp_tree     base package, patches/, overlay, work/export, the series
#   pp_kernel   configs and kernel builds (patched, base, modlink)
#   pp_guest    QEMU boots, user-space programs, initramfs
#   pp_parser   console-log parsers and judges (tested by pp_test.py)
#   pp_suites   KUnit and selftest boots, the base comparison
#   pp_gates    checkpatch, kernel-doc, sparse, page_ext, series, bisect
#   pp_cocci    Coccinelle corpus, driver conversions, tree-wide report
#   pp_results  results tables and README.md's generated blocks
#   pp_demo     make run
"""page_pin harness: the command line."""

import os
import re
import subprocess
import sys
import time

from pp_common import RESULTS, SeriesError, log
from pp_arches import (BASE_IN_CHECK, MODES, MODLINK_ARCHES, NOPIN_ARCHES,
                       parse_arches)
from pp_tree import cmd_export, cmd_series, cmd_tree, cmd_work, make_series
from pp_kernel import (BUILD_SECONDS, build, cmd_build, modlink_row,
                       nopin_row)
from pp_suites import (default_on_row, run_kunit, selftest_matrix,
                       soak_row)
from pp_gates import (am_gate, bare_gate, bisect_gate, coherence_gate,
                      page_ext_flags_gate, sparse_gate, style_gates)
from pp_cocci import (cmd_cocci_drivers, cmd_cocci_report, cmd_cocci_score,
                      cocci_drivers_row, run_cocci_checks)
from pp_results import cmd_readme, commit_id, record_time, write_table
from pp_demo import cmd_run
from pp_mutants import mutant_gate
from pp_sanitizers import sanitizer_gate


def not_skipped(var, rows, what, arch='-'):
    """False, with a visible skipped row, when the environment variable
    var=1 turns off a part of make check."""
    if os.environ.get(var) != '1':
        return True
    log(f'{var}=1: {what} not run')
    rows.append({'arch': arch, 'mode': '-', 'suite': f'{what} ({var}=1)',
                 'passed': 0, 'failed': 0, 'skipped': 1, 'failures': [],
                 'seconds': 0})
    return False


def harness_row():
    """The harness's own tests (pp_test.py) on recorded console logs."""
    t0 = time.time()
    res = subprocess.run([sys.executable, '-m', 'unittest', '-q', 'pp_test'],
                         cwd=os.path.dirname(os.path.abspath(__file__)),
                         capture_output=True, text=True)
    m = re.search(r'^Ran (\d+) tests?', res.stderr, re.M)
    ran = int(m.group(1)) if m else 0
    bad = re.findall(r'^(?:FAIL|ERROR): (\S+)', res.stderr, re.M)
    if res.returncode and not bad:
        bad = [res.stderr.strip()[-500:] or f'exit {res.returncode}']
    skipped = re.search(r'skipped=(\d+)', res.stderr)
    skipped = int(skipped.group(1)) if skipped else 0
    log(f'harness tests: {ran} run, {len(bad)} failed, {skipped} skipped')
    return {'arch': '-', 'mode': '-', 'suite': 'harness tests (pp_test.py)',
            'passed': ran - len(bad) - skipped, 'failed': len(bad),
            'skipped': skipped, 'failures': bad,
            'seconds': round(time.time() - t0)}


def cmd_check(args):
    full = '--full' in args
    args = [a for a in args if a != '--full']
    arches = parse_arches(args)
    t0, commit = time.time(), commit_id()
    cmd_tree()
    harness = harness_row()
    try:
        patches = make_series()
        rows = [harness] + style_gates(patches) + [page_ext_flags_gate(),
                                       coherence_gate(patches),
                                       am_gate(patches)]
        # The bisect builds are x86_64 kernels: they come with that arch.
        if full and 'x86_64' in arches:
            if not_skipped('PP_NO_BISECT', rows, 'bisect', 'x86_64'):
                rows.append(bisect_gate(patches))
    except SeriesError as e:
        rows = [harness, {'arch': '-', 'mode': '-', 'suite': 'make series',
                 'passed': 0, 'failed': 1, 'skipped': 0,
                 'failures': [str(e)], 'seconds': 0}]
    if not_skipped('PP_NO_COCCI', rows, 'Coccinelle'):
        rows += run_cocci_checks()
        rows.append(cocci_drivers_row())
    if full:
        rows.append(bare_gate())
        if not_skipped('PP_NO_MUTANTS', rows, 'mutants', 'x86_64'):
            rows.append(mutant_gate())
        if not_skipped('PP_NO_SANITIZERS', rows, 'sanitizers'):
            rows += sanitizer_gate(arches)
    for arch in arches:
        try:
            kernel = build(arch)
        except subprocess.CalledProcessError as e:
            rows.append({'arch': arch, 'mode': '-', 'suite': 'build',
                         'passed': 0, 'failed': 1, 'skipped': 0,
                         'failures': [f'{arch}: build failed: {e}'],
                         'seconds': 0})
            continue
        if arch in MODLINK_ARCHES:
            rows.append(modlink_row(arch))
        if arch in NOPIN_ARCHES:
            rows.append(nopin_row(arch))
        for mode in MODES:
            rows.append(run_kunit(arch, kernel, mode))
        if arch in BASE_IN_CHECK or full:
            rows.append(run_kunit(arch, kernel, 'debug', 'panic_on_warn=1',
                                  'debug+panic_on_warn'))
        if full:
            rows.append(soak_row(arch, kernel))
        if not_skipped('PP_NO_SELFTESTS', rows, 'selftests', arch):
            rows += selftest_matrix(arch, kernel,
                                    full or arch in BASE_IN_CHECK, full)
            if arch == 'x86_64':
                rows.append(default_on_row())
            if full or arch in BASE_IN_CHECK:
                rows.append(sparse_gate(arch))
    table = write_table(rows, 'results-full' if full else 'results')
    passed = sum(r['passed'] for r in rows)
    failed = sum(r['failed'] for r in rows)
    skipped = sum(r['skipped'] for r in rows)
    with open(table, 'a', encoding='utf-8') as f:
        f.write(f'\nTotal: {passed} passed, {failed} failed, {skipped} '
                f'skipped; ARCHES={" ".join(arches)}; '
                f'{time.time() - t0:.0f} s.\n')
    print(open(table, encoding='utf-8').read())
    for r in rows:
        for fail in r['failures']:
            print(f'FAILED: {r["arch"]}/{r["mode"]}: {fail}')
    log(f'check took {time.time() - t0:.0f} s')
    record_time(f'make check{"-full" if full else ""} ARCHES='
                f'{" ".join(arches)}', time.time() - t0, sum(BUILD_SECONDS),
                f'{passed} passed, {failed} failed, {skipped} skipped', commit)
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if failed else 0


def cmd_mutants(_args):
    """make mutants: the mutation gate alone."""
    cmd_tree()
    row = mutant_gate()
    print(open(os.path.join(RESULTS, 'mutants.md'), encoding='utf-8').read())
    for fail in row['failures']:
        print(f'FAILED: {fail}')
    print(f'{row["passed"]} passed, {row["failed"]} failed')
    return 1 if row['failed'] else 0


def cmd_sanitizers(args):
    """make sanitizers: the KASAN/UBSAN and KCSAN kernels alone."""
    arches = parse_arches(args)
    cmd_tree()
    rows = sanitizer_gate(arches)
    print(open(os.path.join(RESULTS, 'sanitizers.md'),
               encoding='utf-8').read())
    for r in rows:
        for fail in r['failures']:
            print(f'FAILED: {r["arch"]}/{r["mode"]}: {fail}')
    passed = sum(r['passed'] for r in rows)
    failed = sum(r['failed'] for r in rows)
    skipped = sum(r['skipped'] for r in rows)
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if failed else 0


COMMANDS = {
    'tree': cmd_tree, 'build': cmd_build, 'check': cmd_check, 'run': cmd_run,
    'cocci-drivers': cmd_cocci_drivers, 'cocci-report': cmd_cocci_report,
    'cocci-score': cmd_cocci_score,
    'work': cmd_work, 'export': cmd_export, 'readme': cmd_readme,
    'series': cmd_series, 'mutants': cmd_mutants,
    'sanitizers': cmd_sanitizers,
}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        print(f'usage: pp.py {{{"|".join(COMMANDS)}}} [ARCH...]',
              file=sys.stderr)
        return 2
    # Commands that only act return None: success.
    return COMMANDS[argv[0]](argv[1:]) or 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
