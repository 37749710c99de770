#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the harness's own parsers and judges, on console logs recorded
# from real boots (test_data/) and on edited copies of them: each edit is
# a way a broken kernel or a broken run could look green.
#
# Usage: pp_test.py (or python3 -m unittest pp_test); runs in seconds.
"""Tests of the page_pin harness's log parsers and judges."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

import pp_mutants
import pp_parser
import pp_sanitizers
import pp_suites
from pp_arches import ARCHES, kunit_skip_budget, pin_test_skip_budget

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'test_data')
KUNIT_TOOL = 'tools/testing/kunit/kunit.py'


def recorded(name):
    with open(os.path.join(DATA, name), encoding='utf-8') as f:
        return f.read()


def kunit_tool():
    """kunit.py from the prepared tree or, before one exists, the base."""
    from pp_common import BUILD  # pylint: disable=import-outside-toplevel
    for tree in ('linux', 'base'):
        path = os.path.join(BUILD, tree, KUNIT_TOOL)
        if os.path.exists(path):
            return path
    return None


def kunit_counts(text):
    """Parse a console log with the kernel's KTAP parser, as run_kunit()
    does, and count its cases."""
    tool = kunit_tool()
    counts = {'passed': 0, 'failed': 0, 'skipped': 0, 'failures': []}
    with tempfile.TemporaryDirectory() as tmp:
        logfile = os.path.join(tmp, 'console.log')
        jsonfile = os.path.join(tmp, 'out.json')
        with open(logfile, 'w', encoding='utf-8') as f:
            f.write(text)
        subprocess.run([sys.executable, tool, 'parse', f'--json={jsonfile}',
                        logfile], capture_output=True, check=False)
        if os.path.exists(jsonfile) and os.path.getsize(jsonfile):
            with open(jsonfile, encoding='utf-8') as f:
                pp_parser.count_cases(json.load(f), counts)
    return counts


def judge_kunit(text, mode, arch='x86_64', label=None, status='ok'):
    counts = kunit_counts(text)
    return counts, pp_parser.judge_kunit(
        text, status, counts, mode, ARCHES[arch]['backend'],
        kunit_skip_budget(arch, label or mode),
        panic_on_warn=label == 'debug+panic_on_warn')


def judge_selftests(text, mode, arch='m68k', status='ok'):
    counts, cases = pp_parser.parse_selftest_log(text)
    budgets = {'page_pin_test': pin_test_skip_budget(arch, mode),
               'upstream': ARCHES[arch]['upstream_skips']}
    return counts, pp_parser.judge_selftests(
        text, status, cases, mode, ARCHES[arch]['backend'], budgets)


def assert_green(test, name, text, counts, problems, min_passed):
    """A recorded good boot must be judged green on every count."""
    test.assertEqual(problems, [], name)
    test.assertEqual(counts['failed'], 0, name)
    test.assertGreater(counts['passed'], min_passed, name)
    test.assertEqual(boot_failures(name, text, problems), 0, name)


def boot_failures(name, text, problems):
    """judge_boot()'s verdict, with its console dump kept quiet."""
    counts = {'passed': 0, 'failed': 0, 'skipped': 0, 'failures': []}
    with open(os.devnull, 'w', encoding='utf-8') as null:
        saved, sys.stdout = sys.stdout, null
        try:
            pp_parser.judge_boot(name, text, list(problems), counts)
        finally:
            sys.stdout = saved
    return counts['failed']


@unittest.skipUnless(kunit_tool(), 'no prepared tree: run "make tree"')
class KunitJudgeTest(unittest.TestCase):
    """KUnit boots, judged as run_kunit() judges them."""

    def test_recorded_boots_are_green(self):
        for name, mode, arch in (('kunit-x86_64-on.log', 'on', 'x86_64'),
                                 ('kunit-x86_64-debug.log', 'debug',
                                  'x86_64'),
                                 ('kunit-m68k-off.log', 'off', 'm68k')):
            text = recorded(name)
            assert_green(self, name, text, *judge_kunit(text, mode, arch),
                         50)

    def test_truncated_boot(self):
        lines = recorded('kunit-x86_64-on.log').splitlines()
        text = '\n'.join(lines[:len(lines) // 2])
        counts, problems = judge_kunit(text, 'on',
                                       status='qemu exited with 1')
        self.assertTrue(problems)
        self.assertGreater(counts['failed'] + boot_failures('t', text,
                                                            problems), 0)

    def test_splat_in_green_run(self):
        text = recorded('kunit-x86_64-on.log').replace(
            'page_pin: tracking on',
            'WARNING: CPU: 0 PID: 1 at mm/gup.c:140 try_grab_folio+0x1\n'
            '[    0.6] page_pin: tracking on', 1)
        _, problems = judge_kunit(text, 'on')
        self.assertEqual(problems, [])
        self.assertEqual(boot_failures('splat', text, problems), 1)

    def test_skip_storm(self):
        text = re.sub(r'^(\[[^]]*\]\s+ok \d+ \w+)$', r'\1 # SKIP no debugfs',
                      recorded('kunit-x86_64-on.log'), flags=re.M)
        counts, problems = judge_kunit(text, 'on')
        self.assertGreater(counts['skipped'], KUNIT_BUDGET_ON)
        self.assertTrue(any('skipped, at most' in p for p in problems))

    def test_tracking_silently_off(self):
        text = recorded('kunit-x86_64-on.log').replace(
            'page_pin: tracking on', 'page_pin: tracking off')
        _, problems = judge_kunit(text, 'on')
        self.assertTrue(any('tracking on' in p for p in problems))

    def test_wrong_backend(self):
        _, problems = judge_kunit(recorded('kunit-x86_64-on.log'), 'on',
                                  arch='x86_64-pext')
        self.assertTrue(any('page_ext backend' in p for p in problems))

    def test_one_debug_report_too_many(self):
        text = recorded('kunit-x86_64-debug.log')
        report = next(ln for ln in text.splitlines()
                      if pp_parser.REPORT_RE.search(ln))
        _, problems = judge_kunit(text + '\n' + report + '\n', 'debug')
        self.assertTrue(any('report(s), expected 5' in p for p in problems))

    def test_panic_on_warn_needs_its_skips(self):
        # The plain debug boot has no panic_on_warn skips and 5 reports.
        _, problems = judge_kunit(recorded('kunit-x86_64-debug.log'),
                                  'debug', label='debug+panic_on_warn')
        self.assertTrue(any('panic_on_warn' in p for p in problems))


KUNIT_BUDGET_ON = kunit_skip_budget('x86_64', 'on')


class SelftestJudgeTest(unittest.TestCase):
    """Selftest boots, judged as run_selftests() judges them."""

    def test_recorded_boots_are_green(self):
        for name, mode in (('selftest-m68k-on.log', 'on'),
                           ('selftest-m68k-debug.log', 'debug')):
            text = recorded(name)
            assert_green(self, name, text, *judge_selftests(text, mode), 40)

    def test_truncated_boot(self):
        lines = recorded('selftest-m68k-on.log').splitlines()
        text = '\n'.join(lines[:len(lines) // 2])
        _, problems = judge_selftests(text, 'on')
        self.assertIn('the run did not finish', problems)

    def test_splat_in_green_run(self):
        text = recorded('selftest-m68k-on.log').replace(
            'ok 2 gup_test -u', 'BUG: Bad page state in process cow\n'
            'ok 2 gup_test -u', 1)
        _, problems = judge_selftests(text, 'on')
        self.assertEqual(boot_failures('splat', text, problems), 1)

    def test_skip_storm(self):
        # What a missing debugfs looks like: every pin.* case skips.
        text = re.sub(r'^(    ok \d+ pin\.\w+)$', r'\1 # SKIP no debugfs',
                      recorded('selftest-m68k-on.log'), flags=re.M)
        _, problems = judge_selftests(text, 'on')
        self.assertTrue(any(p.startswith('page_pin_test:')
                            for p in problems))

    def test_tracking_silently_off(self):
        text = recorded('selftest-m68k-on.log').replace(
            'page_pin: tracking on', 'page_pin: tracking off')
        _, problems = judge_selftests(text, 'on')
        self.assertTrue(any('tracking on' in p for p in problems))

    def test_one_leak_report_too_many(self):
        text = recorded('selftest-m68k-debug.log')
        report = next(ln for ln in text.splitlines()
                      if pp_parser.REPORT_RE.search(ln))
        text = text.replace(report, report + '\n' + report, 1)
        _, problems = judge_selftests(text, 'debug')
        self.assertTrue(any('report(s), expected 4' in p for p in problems))

    def test_no_totals_line(self):
        # A program that prints TAP without "# Totals:", fails a case and
        # still exits 0.
        text = ('    TAP version 13\n    1..2\n    ok 1 first\n'
                '    not ok 2 second\nok 1 prog\n'
                '# page_pin selftests done\n')
        counts, cases = pp_parser.parse_selftest_log(text)
        self.assertEqual((counts['passed'], counts['failed']), (1, 1))
        self.assertEqual(cases['prog #N second'], 'FAIL')

    def test_failing_exit_without_failed_case(self):
        text = ('    # Totals: pass:3 fail:0 xfail:0 xpass:0 skip:0 '
                'error:0\nnot ok 1 prog\n')
        counts, _ = pp_parser.parse_selftest_log(text)
        self.assertEqual((counts['passed'], counts['failed']), (3, 1))


class BaseComparisonTest(unittest.TestCase):
    """compare_with_base(): the unpatched base against the three modes."""

    def compare(self, base_text, patched_text):
        _, base = pp_parser.parse_selftest_log(base_text)
        _, patched = pp_parser.parse_selftest_log(patched_text)
        with tempfile.TemporaryDirectory() as tmp:
            saved, pp_suites.RESULTS = pp_suites.RESULTS, tmp
            try:
                return pp_suites.compare_with_base(
                    'x86_64', base, {m: patched for m in
                                     ('on', 'off', 'debug')})
            finally:
                pp_suites.RESULTS = saved

    @staticmethod
    def tap(*results):
        return ''.join(f'    {r}\n' for r in results) + 'ok 1 ksm\n'

    def test_measured_numbers_are_not_new_cases(self):
        row = self.compare(self.tap('ok 1 Extra pages 33 (0.1%)'),
                           self.tap('ok 1 Extra pages 31 (0.1%)'))
        self.assertEqual(row['failed'], 0, row['failures'])

    def test_skip_of_a_base_pass_fails(self):
        row = self.compare(self.tap('ok 1 a', 'ok 2 b'),
                           self.tap('ok 1 a', 'ok 2 b # SKIP no THP'))
        self.assertEqual(row['failed'], 1)
        self.assertIn('PASS on base, SKIP patched', row['failures'][0])

    def test_missing_case_fails(self):
        row = self.compare(self.tap('ok 1 a', 'ok 2 b'), self.tap('ok 1 a'))
        self.assertEqual(row['failed'], 1)


class SanitizerReportTest(unittest.TestCase):
    """pp_sanitizers.reports(): which reports are page_pin's."""

    LOG = ('[    1.0] ok 1 something\n'
           '[    2.0] ==================================================\n'
           '[    2.0] BUG: KASAN: slab-out-of-bounds in foo_bar+0x1c/0x40\n'
           '[    2.0] Read of size 8 at addr ffff888003a1b2c8 by task a/1\n'
           '[    2.0] Call Trace:\n'
           '[    2.0]  %s+0x10/0x20\n'
           '[    2.0] ==================================================\n'
           '[    3.0] ok 2 other\n')

    def test_page_pin_report(self):
        found = pp_sanitizers.reports(self.LOG % '__folio_set_pin_marked')
        self.assertEqual(len(found), 1)
        title, block = found[0]
        self.assertEqual(title, 'BUG: KASAN: slab-out-of-bounds in foo_bar')
        self.assertTrue(any(pp_sanitizers.OURS_RE.search(ln)
                            for ln in block))

    def test_upstream_report(self):
        (_, block), = pp_sanitizers.reports(self.LOG % 'ext4_readdir')
        self.assertFalse(any(pp_sanitizers.OURS_RE.search(ln)
                             for ln in block))
        self.assertNotIn('ok 2 other', block)


class MutantTest(unittest.TestCase):
    """Every mutant says what it breaks and how it is killed."""

    def test_headers(self):
        paths = sorted(os.listdir(pp_mutants.MUTANTS))
        self.assertGreaterEqual(len(paths), 12)
        for name in paths:
            m = pp_mutants.read_mutant(os.path.join(pp_mutants.MUTANTS,
                                                    name))
            self.assertTrue(m.get('breaks'), name)
            self.assertIn(m.get('arch'), ARCHES, name)
            self.assertTrue(m['kill'], name)
            for spec in m['kill']:
                self.assertRegex(spec, r'^(kunit|selftests):(on|off|debug)$')


if __name__ == '__main__':
    unittest.main()
