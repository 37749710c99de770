# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: the mutation gate.  Each file in mutants/ is a small
# patch that breaks page_pin on purpose, with a header that says what it
# breaks, the arch whose kernel shows it, the boots that must kill it and,
# for a mutant no test can kill here, why.  The gate applies each one to
# the prepared tree, builds that arch into build/mutant-<arch>, boots it,
# and fails if a mutant without such a reason survives.
"""The mutation gate (make mutants, part of make check-full)."""

import glob
import os
import subprocess
import time

from pp_common import BUILD, RESULTS, ROOT, TREE, git, log
from pp_kernel import build
from pp_suites import run_kunit, run_selftests

MUTANTS = os.path.join(ROOT, 'tools/testing/page_pin/mutants')


def read_mutant(path):
    """The header of a mutant: breaks, arch, kill (boots), survives."""
    m = {'name': os.path.basename(path).removesuffix('.patch'),
         'path': path, 'survives': ''}
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('diff ') or line.startswith('--- '):
                break
            key, sep, val = line.partition(':')
            if sep and key in ('breaks', 'arch', 'kill', 'survives'):
                m[key] = val.strip()
    m['kill'] = m.get('kill', '').split()
    return m


def kill_boot(arch, kernel, spec, label):
    """One boot of a mutant kernel: "kunit:<mode>" or "selftests:<mode>"."""
    suite, mode = spec.split(':')
    if suite == 'kunit':
        return run_kunit(arch, kernel, mode, label=f'{label}-{mode}')
    row, _ = run_selftests(arch, kernel, mode, ['page_pin_test'],
                           f'{label}-{mode}', None)
    return row


def try_mutant(m):
    """Build and boot one mutant; return (killed by, seconds)."""
    t0 = time.time()
    git('apply', m['path'])
    try:
        kernel = build(m['arch'], out=os.path.join(BUILD,
                                                   f'mutant-{m["arch"]}'))
    except subprocess.CalledProcessError:
        return 'BUILD FAILED', time.time() - t0
    finally:
        git('apply', '-R', m['path'])
    for spec in m['kill']:
        row = kill_boot(m['arch'], kernel, spec, f'mutant-{m["name"]}')
        if row['failed']:
            why = (row['failures'] or ['failed'])[0]
            return f'{spec}: {why[:160]}', time.time() - t0
    return None, time.time() - t0


def mutant_gate():
    """Every mutant must be killed, or say why no test here can."""
    t0 = time.time()
    lines = ['| mutant | breaks | arch | killed by | seconds |',
             '|---|---|---|---|---|']
    fails = []
    mutants = [read_mutant(p) for p in
               sorted(glob.glob(os.path.join(MUTANTS, '*.patch')))]
    for m in mutants:
        log(f'mutant {m["name"]}: {m["breaks"]}')
        killed, secs = try_mutant(m)
        if killed == 'BUILD FAILED' or not killed and not m['survives']:
            fails.append(f'{m["name"]}: {killed or "SURVIVED"}')
        verdict = killed or (f'survives, expected: {m["survives"]}'
                             if m['survives'] else '**SURVIVED**')
        log(f'mutant {m["name"]}: {verdict[:200]}')
        lines.append(f'| {m["name"]} | {m["breaks"]} | {m["arch"]} | '
                     f'{verdict.replace("|", "/")} | {secs:.0f} |')
    # The gate leaves build/linux as the prepared tree.
    git('checkout', '-q', '--', '.', tree=TREE)
    with open(os.path.join(RESULTS, 'mutants.md'), 'w',
              encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
    ok = not fails and bool(mutants)
    return {'arch': '-', 'mode': '-',
            'suite': f'mutants killed ({len(mutants)} mutants)',
            'passed': int(ok), 'failed': int(not ok), 'skipped': 0,
            'failures': fails or ([] if mutants else ['no mutants']),
            'seconds': round(time.time() - t0)}
