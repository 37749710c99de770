# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: sanitizer kernels.  KASAN (generic, inline) with UBSAN
# on x86_64 and arm, KCSAN on x86_64: the test fragments plus
# kernel/configs/page_pin_<sanitizer>.config, patched and unpatched.  The
# patched kernel runs KUnit and the selftests with page_pin=on and debug;
# the unpatched one runs the upstream selftests, so that reports that the
# base shows too are listed as upstream noise, not hidden.  A report whose
# text names page_pin, GUP, page_ext or the debug code fails the run.
"""Sanitizer kernels (make sanitizers, part of make check-full)."""

import json
import os
import re
import time

from pp_common import BUILD, RESULTS, log
from pp_kernel import build, build_base_kernel
from pp_guest import boot, build_userspace, make_initramfs
from pp_parser import (SPLAT_RE, count_cases, judge_kunit, judge_selftests,
                       kunit_parse, parse_selftest_log)
from pp_arches import ARCHES, kunit_skip_budget, pin_test_skip_budget
from pp_results import write_table
from pp_suites import UPSTREAM_TESTS

SANITIZERS = (('x86_64', 'kasan'), ('x86_64', 'kcsan'), ('arm', 'kasan'))
SAN_MODES = ('on', 'debug')
# A report is ours if any line of it names one of these.
OURS_RE = re.compile(r'page_pin|gup|page_ext|pin_user_page|unpin_user|'
                     r'pin_marked|pinned_once|folio_maybe_dma_pinned|'
                     r'folio_mark_pinned|folio_add_pin|try_grab_folio')
END_RE = re.compile(r'^(=+|---\[ end trace [0-9a-f]+ \]---)$')
# Sanitizer boots are slower: KASAN about 2x, KCSAN more.
TIMEOUT = 1800
# What a boot with the sanitizer really on prints ("KernelAddressSanitizer"
# on x86, "Kernel address sanitizer" on arm).
ACTIVE = {'kasan': r'kasan: Kernel ?[Aa]ddress ?[Ss]anitizer initialized',
          'kcsan': r'kcsan: enabled early'}


def reports(text):
    """Every splat in a console log: (title, its lines), up to the end
    marker that KASAN/KCSAN ("====") or WARN/BUG ("---[ end trace") print,
    or 80 lines."""
    found, cur = [], None
    for line in text.splitlines():
        body = re.sub(r'^\s*\[[^]]*\]\s?', '', line).strip()
        if cur is not None and (END_RE.match(body) or len(cur) > 80):
            cur = None
            continue
        if cur is None and SPLAT_RE.search(body) and \
                not body.startswith('---'):
            cur = [body]
            found.append(cur)
        elif cur is not None:
            cur.append(body)
    return [(title_of(r[0]), r) for r in found]


def title_of(line):
    """A report's first line without addresses, offsets or task names."""
    line = re.sub(r'\+0x[0-9a-f]+/0x[0-9a-f]+', '', line)
    line = re.sub(r'0x[0-9a-f]+|\b[0-9a-f]{8,}\b', 'X', line)
    return re.sub(r'(CPU|PID|task)[: ]\s*\S+', r'\1 N', line)


def san_boot(arch, kernel, mode, suite, label, commands=()):
    # pylint: disable=too-many-arguments,too-many-locals
    """One boot; returns (row, [(title, ours)])."""
    name = f'{suite}-{arch}-{label}'
    logfile = os.path.join(RESULTS, name + '.log')
    counts = {'passed': 0, 'failed': 0, 'skipped': 0, 'failures': []}
    opt = '' if mode == 'base' else f' page_pin={mode}'
    backend = ARCHES[arch]['backend']
    if suite == 'kunit':
        text, status, dt = boot(arch, kernel, 'kunit_shutdown=reboot' + opt,
                                logfile, timeout=TIMEOUT)
        jsonfile = os.path.join(RESULTS, name + '.json')
        kunit_parse(logfile, jsonfile)
        if os.path.exists(jsonfile) and os.path.getsize(jsonfile):
            with open(jsonfile, encoding='utf-8') as f:
                count_cases(json.load(f), counts)
        problems = [] if mode == 'base' else judge_kunit(
            text, status, counts, mode, backend,
            kunit_skip_budget(arch, mode))
    else:
        cpio = make_initramfs(build_userspace(arch), name, list(commands))
        text, status, dt = boot(arch, kernel, 'kunit.enable=0 ' +
                                ARCHES[arch].get('cmdline', '') + opt,
                                logfile, initrd=cpio, timeout=TIMEOUT)
        counts, cases = parse_selftest_log(text)
        budgets = {'upstream': None}
        if mode != 'base':
            budgets['page_pin_test'] = pin_test_skip_budget(arch, mode)
        problems = judge_selftests(text, status, cases, mode, backend,
                                   budgets)
    seen = [(t, any(OURS_RE.search(ln) for ln in block))
            for t, block in reports(text)]
    if mode == 'base':
        # The unpatched kernel only shows which reports are upstream's.
        problems = []
    san = label.split('-')[0]
    if not re.search(ACTIVE[san], text):
        problems.append(f'the boot does not match "{ACTIVE[san]}"')
    problems += [f'page_pin-related report: {t}' for t, ours in seen
                 if ours and mode != 'base']
    if problems:
        counts['failed'] += 1
        counts['failures'].append(f'{name}: ' + '; '.join(problems)[:400])
    log(f'{name}: {counts["passed"]} passed, {counts["failed"]} failed, '
        f'{len(seen)} reports ({sum(o for _, o in seen)} page_pin-related) '
        f'in {dt:.0f} s')
    return ({'arch': arch, 'mode': label, 'suite': suite,
             'passed': counts['passed'], 'failed': counts['failed'],
             'skipped': counts['skipped'], 'failures': counts['failures'],
             'seconds': round(dt)}, seen)


def sanitizer_rows(arch, san):
    """Build the patched and unpatched kernels with one sanitizer and boot
    them; one result row per boot, and the report list."""
    extra = [f'kernel/configs/page_pin_{san}.config']
    t0 = time.time()
    try:
        kernel = build(arch, out=os.path.join(BUILD, f'{arch}-{san}'),
                       extra=extra)
        base = build_base_kernel(arch, out=os.path.join(
            BUILD, f'{arch}-{san}-base'), extra=extra)
    except (SystemExit, Exception) as e:  # pylint: disable=broad-except
        return [{'arch': arch, 'mode': san, 'suite': 'sanitizer build',
                 'passed': 0, 'failed': 1, 'skipped': 0,
                 'failures': [f'{arch} {san}: {e}'],
                 'seconds': round(time.time() - t0)}], {}
    rows, seen = [], {}
    for mode in SAN_MODES:
        for suite, cmds in (('kunit', ()),
                            ('selftest', ['page_pin_test'] + UPSTREAM_TESTS)):
            row, got = san_boot(arch, kernel, mode, suite, f'{san}-{mode}',
                                cmds)
            rows.append(row)
            seen[f'{suite} {mode}'] = got
    for suite, cmds in (('kunit', ()), ('selftest', UPSTREAM_TESTS)):
        row, got = san_boot(arch, base, 'base', suite, f'{san}-base', cmds)
        rows.append(row)
        seen[f'{suite} base'] = got
    return rows, seen


def write_reports(all_seen):
    """build/results/sanitizers.md: every report, and whether the
    unpatched kernel with the same sanitizer shows it too."""
    lines = ['| arch | sanitizer | boot | report | page_pin-related | '
             'also on the unpatched base |', '|---|---|---|---|---|---|']
    for (arch, san), seen in all_seen.items():
        base = {t for k, got in seen.items() if k.endswith('base')
                for t, _ in got}
        for key, got in seen.items():
            for title in sorted({t for t, _ in got}):
                ours = any(o for t, o in got if t == title)
                lines.append(f'| {arch} | {san} | {key} | '
                             f'{title.replace("|", "/")[:120]} | '
                             f'{"YES" if ours else "no"} | '
                             f'{"yes" if title in base else "no"} |')
        if not any(seen.values()):
            lines.append(f'| {arch} | {san} | all | none | | |')
    with open(os.path.join(RESULTS, 'sanitizers.md'), 'w',
              encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


def sanitizer_gate(arches):
    """All sanitizer kernels of the arches asked for."""
    rows, all_seen = [], {}
    for arch, san in SANITIZERS:
        if arch in arches:
            got, seen = sanitizer_rows(arch, san)
            rows += got
            all_seen[(arch, san)] = seen
    write_reports(all_seen)
    # make check-full and make sanitizers both leave the boot table that
    # make readme shows next to the reports.
    write_table(rows, 'results-sanitizers')
    return rows
