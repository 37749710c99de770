# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: coccinelle: the gup_to_pin corpus, the driver conversions
# and the tree-wide report.
"""Coccinelle."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from pp_common import BUILD, RESULTS, ROOT, die, git, log, sh
from pp_tree import cmd_tree, ensure_base_tree
from pp_kernel import make_env
from pp_parser import tap_row


COCCI = os.path.join(ROOT, 'tools/testing/page_pin/cocci')


def run_cocci_checks():
    rows = []
    t0 = time.time()
    base = ensure_base_tree()
    res = subprocess.run(['bash', os.path.join(COCCI, 'test_corpus.sh')],
                         capture_output=True, text=True,
                         env=dict(os.environ, KTREE=base))
    row = tap_row('cocci-corpus', res.stdout, time.time() - t0)
    if res.returncode and not row['failed']:
        row['failed'] = 1
        row['failures'].append(f'test_corpus.sh exited {res.returncode}: '
                               f'{res.stderr.strip()[-500:]}')
    rows.append(row)
    log(f'cocci-corpus: {row["passed"]} passed, {row["failed"]} failed')

    # The real-code corpus: no false conversion, every get call judged.
    t0 = time.time()
    res = subprocess.run([sys.executable, os.path.join(COCCI, 'score.py'),
                          '--gate'], capture_output=True, text=True)
    last = res.stdout.strip().splitlines()[-1:] or ['']
    m = re.match(r'^(\d+) passed, (\d+) failed$', last[0])
    ok = res.returncode == 0 and m is not None and m.group(2) == '0'
    figures = '; '.join(ln for ln in res.stdout.splitlines()
                        if re.match(r'^(precision|recall|exact|files):', ln))
    rows.append({'arch': '-', 'mode': '-',
                 'suite': 'cocci real-code corpus (precision gate)',
                 'passed': int(ok), 'failed': int(not ok), 'skipped': 0,
                 'failures': [] if ok else
                 [f'score.py --gate rc={res.returncode}: '
                  f'{res.stdout.strip()[-1500:]} {res.stderr.strip()[-300:]}'],
                 'seconds': round(time.time() - t0)})
    log(f'cocci real-code corpus: {figures}')
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, 'cocci-score.txt'), 'w',
              encoding='utf-8') as f:
        f.write(res.stdout)

    # Re-running the script on the base must reproduce the committed
    # driver conversions exactly.
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        res = subprocess.run(['bash', os.path.join(COCCI, 'regen_drivers.sh'),
                              base, tmp], capture_output=True, text=True)
        diff = subprocess.run(['diff', '-ru', os.path.join(ROOT,
                                                          'drivers-patches'),
                               tmp], capture_output=True, text=True)
    ok = res.returncode == 0 and diff.returncode == 0
    rows.append({'arch': '-', 'mode': '-', 'suite': 'cocci-drivers-regen',
                 'passed': int(ok), 'failed': int(not ok), 'skipped': 0,
                 'failures': [] if ok else
                 [f'regen_drivers.sh rc={res.returncode}: '
                  f'{res.stderr.strip()[-300:]}\n{diff.stdout[:1500]}'],
                 'seconds': round(time.time() - t0)})
    return rows


def cmd_cocci_score(_args):
    """The real-code corpus figures (a benchmark: precision, recall and
    exactly right files against hand-written expectations)."""
    return subprocess.run([sys.executable, os.path.join(COCCI, 'score.py')]
                          ).returncode


def cmd_cocci_report(_args):
    cmd_tree()
    base = ensure_base_tree()
    out = os.path.join(RESULTS, 'cocci-report.txt')
    t0 = time.time()
    res = subprocess.run(['bash', os.path.join(COCCI, 'report.sh'), base,
                          out])
    log(f'tree-wide report in {time.time() - t0:.0f} s: '
        f'{os.path.relpath(out, ROOT)}')
    return res.returncode


def cmd_cocci_drivers(_args):
    """Apply each driver conversion to a scratch base checkout and build
    its objects, with sparse, on an arch where the driver builds."""
    cmd_tree()
    row = cocci_drivers_row()
    print(f'{row["passed"]} passed, {row["failed"]} failed')
    return 1 if row['failed'] else 0


def cocci_drivers_row():
    t0 = time.time()
    scratch = os.path.join(BUILD, 'drivers-tree')
    if not os.path.exists(os.path.join(scratch, 'Makefile')):
        shutil.rmtree(scratch, ignore_errors=True)
        git('worktree', 'prune')
        git('worktree', 'add', '-q', '--detach', scratch, 'base')
    git('reset', '-q', '--hard', 'base', tree=scratch)
    failed, failures = 0, []
    with open(os.path.join(COCCI, 'drivers.build'), encoding='utf-8') as f:
        entries = [ln.split() for ln in f if ln.strip() and ln[0] != '#']
    pdir = os.path.join(ROOT, 'drivers-patches')
    for prefix, karch, cross, defconfig, *objs in entries:
        patches = [p for p in sorted(os.listdir(pdir)) if p.startswith(prefix)]
        if len(patches) != 1:
            die(f'drivers.build: no single patch matches {prefix}')
        out = os.path.join(BUILD, f'drivers-{karch}')
        env = make_env()
        base = ['make', '-s', '-C', scratch, f'O={out}', f'ARCH={karch}',
                f'CROSS_COMPILE={"" if cross == "-" else cross}',
                f'-j{os.cpu_count()}']
        if not os.path.exists(os.path.join(out, '.config')):
            sh(base + [defconfig], env=env)

        def warnings():
            res = subprocess.run(base + ['C=2'] + objs, env=env,
                                 capture_output=True, text=True)
            found = {re.sub(r':\d+:\d+:', ':', ln)
                     for ln in (res.stdout + res.stderr).splitlines()
                     if 'warning' in ln or 'error' in ln}
            return found, res
        before, _ = warnings()
        sh(['git', '-C', scratch, 'apply', os.path.join(pdir, patches[0])])
        after, res = warnings()
        warn = sorted(after - before)
        ok = res.returncode == 0 and not warn
        failed += not ok
        print(f'{"ok" if ok else "not ok"} {patches[0]}: {karch} {defconfig} '
              f'{" ".join(objs)}' + ('' if ok else '\n' + '\n'.join(
                  warn or res.stderr.splitlines()[-20:])))
        if not ok:
            failures.append(f'{patches[0]}: ' + '; '.join(
                warn or res.stderr.splitlines()[-5:]))
        git('reset', '-q', '--hard', 'base', tree=scratch)
    return {'arch': '-', 'mode': '-', 'suite': 'cocci-drivers build',
            'passed': len(entries) - failed, 'failed': failed, 'skipped': 0,
            'failures': failures, 'seconds': round(time.time() - t0)}
