# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: make run, the demonstration.  Three x86_64 boots (the
# patched kernel with page_pin=on and off, and the unpatched base), each
# running the same programs:
#   - page_pin_test, whose many_refs cases read /proc/kpageflags for
#     never-pinned pages with more than 1024 references (patched only);
#   - reclaim, fork: 16 MiB of anonymous memory mapped by 1100 processes,
#     then memory.reclaim in its memcg;
#   - reclaim, splice: 1 MiB of anonymous memory that only its owner maps,
#     with 1100 plain vmsplice() references on every page, and
#     MADV_PAGEOUT.
# It ends with one table and exits non-zero if a boot does not show what
# it should.
"""make run: what page_pin buys, in three x86_64 boots."""

import os
import re
import time

from pp_common import RESULTS, ROOT, log
from pp_arches import ARCHES
from pp_tree import cmd_tree
from pp_kernel import (BUILD_SECONDS, RUN_BUILD_MIN, RUN_CONFIG,
                       build_run_kernel)
from pp_guest import boot, build_userspace, make_initramfs
from pp_parser import splats
from pp_results import commit_id, record_time

ARCH = 'x86_64'
REFS = 1100
# How the demo's memory is shared, its size and, per kernel, the kB that
# must reach swap: None for all of it, 0 for none.
DEMO = {'fork': (16, {'on': None, 'off': None, 'base': 0}),
        'splice': (1, {'on': None, 'off': 0, 'base': 0})}
# memory.reclaim keeps trying while it cannot reach its target: the cap.
DEADLINE = 20
RECLAIM_RE = re.compile(r'reclaim: sharers=\d+ mib=(\d+) swapped_kb=(-?\d+) '
                        r'resident_kb=-?\d+ seconds=([\d.]+) result=(\S+) '
                        r'how=(\w+)')
VERDICT_RE = re.compile(r'page_pin=\w+: (.*?) reads as (PINNED|not pinned)')


def programs(kernel):
    progs = [] if kernel == 'base' else ['page_pin_test']
    return progs + [f'reclaim {REFS} {mib} {DEADLINE}' +
                    (' splice' if how == 'splice' else '')
                    for how, (mib, _) in DEMO.items()]


def demo_boot(kernel, image, out):
    """Boot one kernel; return its findings and the problems seen."""
    cpio = make_initramfs(out, f'run-{kernel}', programs(kernel))
    cmdline = 'kunit.enable=0 ' + ARCHES[ARCH]['cmdline'] + (
        '' if kernel == 'base' else f' page_pin={kernel}')
    logfile = os.path.join(RESULTS, f'run-{ARCH}-{kernel}.log')
    name = 'unpatched base' if kernel == 'base' else f'page_pin={kernel}'
    log(f'booting {name} (about 1 min; console log: '
        f'{os.path.relpath(logfile, ROOT)})')
    text, status, dt = boot(ARCH, image, cmdline, logfile, initrd=cpio,
                            timeout=600)
    found = {'seconds': dt, 'verdicts': VERDICT_RE.findall(text)}
    problems = [] if status == 'ok' else [status]
    problems += [f'kernel splat: {s}' for s in splats(text)[:3]]
    for m in RECLAIM_RE.finditer(text):
        found[m.group(5)] = {'mib': int(m.group(1)),
                             'swapped': int(m.group(2)),
                             'seconds': float(m.group(3)),
                             'result': m.group(4)}
    for how, (mib, want) in DEMO.items():
        got = found.get(how)
        if got is None:
            problems.append(f'no result from reclaim {how}')
            continue
        expect = mib * 1024 if want[kernel] is None else want[kernel]
        if got['swapped'] != expect:
            problems.append(f'{how}: {got["swapped"]} kB swapped, '
                            f'expected {expect}')
    if kernel != 'base':
        pinned = [v for v in found['verdicts'] if v[1] == 'PINNED']
        if len(found['verdicts']) != 3 or bool(pinned) != (kernel == 'off'):
            problems.append(f'false positives: {found["verdicts"]}')
    for line in text.splitlines():
        if 'page_pin:' in line and 'tracking' in line or \
                VERDICT_RE.search(line) or RECLAIM_RE.search(line):
            print('    ' + re.sub(r'^.*?(page_pin[=:]|reclaim:)', r'\1',
                                  line))
    log(f'{name}: {"as expected" if not problems else "; ".join(problems)}'
        f' (boot {dt:.0f} s)')
    return found, problems


def cell(found, how):
    got = found.get(how)
    if got is None:
        return 'no result'
    return (f'{got["swapped"]} of {got["mib"] * 1024} kB '
            f'({got["seconds"]:.0f} s, {got["result"]})')


def summary(results):
    """The side-by-side table, written to build/results/run.md too."""
    kernels = list(results)
    head = ['page_pin=on', 'page_pin=off', 'unpatched base']
    rows = [('never-pinned pages with >1024 references that read as '
             'pinned (page_pin_test)',
             [f'{sum(v[1] == "PINNED" for v in f["verdicts"])} of '
              f'{len(f["verdicts"])}' if k != 'base' else 'n/a (no '
              'kpageflags bit)' for k, f in results.items()]),
            (f'anon memory shared by {REFS} processes (fork), swapped by '
             'memory.reclaim',
             [cell(f, 'fork') for f in results.values()]),
            (f'anon memory with {REFS} vmsplice() references, one owner, '
             'swapped by MADV_PAGEOUT',
             [cell(f, 'splice') for f in results.values()])]
    lines = ['| | ' + ' | '.join(head[:len(kernels)]) + ' |',
             '|---|' + '---|' * len(kernels)]
    lines += [f'| {what} | ' + ' | '.join(vals) + ' |'
              for what, vals in rows]
    text = '\n'.join(lines) + '\n'
    with open(os.path.join(RESULTS, 'run.md'), 'w', encoding='utf-8') as f:
        f.write(text)
    return text


READING = (
    'Reading: with page_pin=on no never-pinned page reads as pinned and '
    'both kinds of memory go to swap. With page_pin=off the series still '
    'swaps the memory shared by fork() (its AnonExclusive rule: such pages '
    'cannot be pinned), but the reference-count heuristic keeps the '
    'spliced pages; the unpatched kernel keeps both. The seconds are how '
    f'long memory.reclaim (capped at {DEADLINE} s) or MADV_PAGEOUT ran.')


def cmd_run(_args):
    """make run: build two x86_64 kernels, boot three times, summarize."""
    t0, commit = time.time(), commit_id()
    log(f'make run: two small {ARCH} kernels (patched and unpatched base, '
        f'{os.path.basename(RUN_CONFIG)}), then three boots of about a '
        f'minute each; about {2 * RUN_BUILD_MIN + 3} min on 2 cores with an '
        'empty ccache, 3 min when the kernels are built')
    cmd_tree()
    kernels = {'on': build_run_kernel(), 'base': build_run_kernel(True)}
    kernels['off'] = kernels['on']
    out = build_userspace(ARCH)
    results, problems = {}, []
    for kernel in ('on', 'off', 'base'):
        results[kernel], bad = demo_boot(kernel, kernels[kernel], out)
        problems += [f'{kernel}: {p}' for p in bad]
    print('\n' + summary(results) + '\n' + READING + '\n')
    for p in problems:
        print(f'NOT AS EXPECTED: {p}')
    log(f'make run took {time.time() - t0:.0f} s; table: '
        f'{os.path.relpath(os.path.join(RESULTS, "run.md"), ROOT)}')
    record_time('make run', time.time() - t0, sum(BUILD_SECONDS),
                'as expected' if not problems else
                f'{len(problems)} not as expected', commit)
    return 1 if problems else 0
