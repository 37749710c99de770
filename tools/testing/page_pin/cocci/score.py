#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Score gup_to_pin.cocci on the real-code corpus
# (scripts/coccinelle/tests/gup_to_pin/real/): every NAME.c is converted in
# patch mode, one file per spatch run, and compared with the hand-written
# NAME.expect, per call site:
#
#   get L convert NEWFN     the get call at line L must become NEWFN()
#   get L keep TAG          it must stay (TAG is the reason, for the reader)
#   release L NEWFN         for a converted get: the release at line L must
#                           become NEWFN()
#
# Precision = converted sites that should convert (to the right function) /
# converted sites; recall = correct conversions / sites that should
# convert; a file is exact when every get verdict and the set of converted
# releases (with their replacement, dirty or not: a per-page
# unpin_user_page() in a loop counts as the loop's unpin_user_pages()) are
# what it expects.  Report mode must
# also give every expected get site a verdict.
#
# Usage: score.py [--gate] [--dir=DIR] [NAME...]
#   --dir: score the NAME.c/NAME.expect pairs of DIR instead (files
#          collected for a blind measurement before they join the corpus).
#   --gate: the regression check of make check: exit 1 when precision is
#           below 0.95 (a false conversion leaks a pin or drops a page in
#           use), when a get call has no verdict in report mode, when
#           spatch fails, or when the patch breaks the C (an #if moved
#           onto a code line, or lines spatch can no longer parse).  Recall and exact files (goals 0.90) are measured
#           and printed, not gated.
"""Score gup_to_pin.cocci on the real-code corpus."""

import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../../..'))
COCCI = os.path.join(ROOT, 'scripts/coccinelle/gup_to_pin.cocci')
REAL = os.path.join(ROOT, 'scripts/coccinelle/tests/gup_to_pin/real')
GOALS = {'precision': 0.95, 'recall': 0.90, 'exact': 0.90}
RELEASE = re.compile(r'\b(put_page|release_pages|page_cache_release|'
                     r'put_user_pages?|put_user_pages_dirty(_lock)?)\s*\(')
UNPIN = re.compile(r'\b(unpin_user_pages_dirty_lock|unpin_user_page_range_'
                   r'dirty_lock|unpin_user_pages|unpin_user_page)\s*\(')
# A release named in a comment is not a release.
COMMENT = re.compile(r'/\*.*?\*/|//.*$')
# A patch that moves an #if onto a line of code breaks the build.
DISPLACED = re.compile(r'\S[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b')
PIN = re.compile(r'\b(pin_user_pages(_fast|_unlocked|_remote)?)\s*\(')


def family(unpin):
    """One page or the loop's array are the same release: unpin_user_page()
    per element of a loop equals unpin_user_pages() of the loop.  Dirty or
    not is what must match."""
    return {'unpin_user_page': 'unpin', 'unpin_user_pages': 'unpin',
            'unpin_user_pages_dirty_lock': 'unpin+dirty',
            'unpin_user_page_range_dirty_lock': 'unpin+dirty'}.get(unpin,
                                                                   unpin)


def parse_expect(path):
    gets, rels = {}, {}
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.split('#', 1)[0].split()
            if not line:
                continue
            if line[0] == 'get' and len(line) >= 3 and \
               line[2] in ('convert', 'keep'):
                gets[int(line[1])] = (line[2], line[3] if len(line) > 3
                                      else '')
            elif line[0] == 'release' and len(line) == 3:
                rels[int(line[1])] = line[2]
            else:
                raise SystemExit(f'{path}:{n}: cannot parse {line}')
    return gets, rels


def spatch(mode, src, out=None):
    cmd = ['spatch', '--very-quiet', '--no-includes', '--include-headers',
           '--sp-file', COCCI, '-D', mode, src]
    if out:
        cmd[1:1] = ['--no-show-diff', '-o', out]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def parse_bad(path):
    """Lines spatch's C parser cannot parse in path."""
    res = subprocess.run(['spatch', '--parse-c', path], capture_output=True,
                         text=True, timeout=600)
    m = re.search(r'nb bad = (\d+)', res.stdout + res.stderr)
    return int(m.group(1)) if m else None


def changes(old, new):
    """{original line: replacement text} for every changed line."""
    out = {}
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op in ('replace', 'delete'):
            text = ''.join(new[j1:j2])
            for i in range(i1, i2):
                out[i + 1] = text
    return out


def score_file(stem, tmp, real=REAL):
    src = os.path.join(real, stem + '.c')
    gets, rels = parse_expect(os.path.join(real, stem + '.expect'))
    work = os.path.join(tmp, stem + '.c')
    shutil.copy(src, work)
    out = work + '.out'
    res = spatch('patch', work, out)
    problems = []
    if res.returncode:
        problems.append('spatch failed: ' + res.stderr.strip()[-300:])
    with open(src, encoding='utf-8', errors='replace') as f:
        old = f.readlines()
    new = old
    if os.path.exists(out):
        with open(out, encoding='utf-8', errors='replace') as f:
            new = f.readlines()
    ch = changes(old, new)
    if new != old:
        b0, b1 = parse_bad(src), parse_bad(out)
        if b0 is not None and (b1 is None or b1 > b0):
            problems.append(f'output broken: spatch parses {b1} bad lines '
                            f'after the patch, {b0} before')
    before = set(old)
    for n, text in enumerate(new, 1):
        if DISPLACED.search(text) and text not in before:
            problems.append(f'output broken: a preprocessor directive '
                            f'after code on output line {n}')
    rep = spatch('report', work)
    seen = set(int(m.group(1)) for m in
               re.finditer(r'^[^:]*:(\d+):\d+-\d+: ', rep.stdout, re.M))
    tp = fp = fn = 0
    for line, (verdict, what) in sorted(gets.items()):
        m = PIN.search(ch.get(line, ''))
        got = m.group(1) if m else None
        if line not in seen:
            problems.append(f'L{line}: no verdict in report mode')
        if verdict == 'convert' and got == what:
            tp += 1
        elif got:
            fp += 1
            problems.append(f'L{line}: converted to {got}(), expected '
                            f'{verdict} {what}')
        elif verdict == 'convert':
            fn += 1
            why = [ln.split(': ', 1)[1] for ln in rep.stdout.splitlines()
                   if re.match(r'^[^:]*:%d:' % line, ln)]
            problems.append(f'L{line}: kept, expected {what}(): '
                            f'{why[0][:160] if why else "no verdict"}')
    done = {}
    for line, text in ch.items():
        if RELEASE.search(COMMENT.sub('', old[line - 1])):
            m = UNPIN.search(text)
            done[line] = m.group(1) if m else '(removed)'
    for line in sorted(set(done) | set(rels)):
        if family(done.get(line)) != family(rels.get(line)):
            problems.append(f'release L{line}: {done.get(line, "kept")}, '
                            f'expected {rels.get(line, "kept")}')
    return tp, fp, fn, problems


def main(argv):
    gate = '--gate' in argv
    names = [a for a in argv if not a.startswith('--')]
    real = REAL
    for a in argv:
        if a.startswith('--dir='):
            real = os.path.abspath(a[len('--dir='):])
    if not os.path.isdir(real):
        print(f'no such corpus directory: {real}', file=sys.stderr)
        return 2
    if not names:
        names = sorted(f[:-2] for f in os.listdir(real) if f.endswith('.c'))
    if not shutil.which('spatch'):
        print('spatch not found in PATH', file=sys.stderr)
        return 2
    TP = FP = FN = exact = 0
    broken = []
    with tempfile.TemporaryDirectory() as tmp:
        for stem in names:
            tp, fp, fn, problems = score_file(stem, tmp, real)
            broken += [f'{stem}: {p}' for p in problems
                       if 'no verdict in report' in p or 'spatch failed' in p
                       or 'output broken' in p]
            TP, FP, FN = TP + tp, FP + fp, FN + fn
            exact += not problems
            print(f'{"ok" if not problems else "not ok"} {stem}: '
                  f'{tp} converted right, {fp} wrongly, {fn} missed')
            for p in problems:
                print(f'#   {p}')
    res = {'precision': TP / (TP + FP) if TP + FP else 1.0,
           'recall': TP / (TP + FN) if TP + FN else 1.0,
           'exact': exact / len(names) if names else 0.0}
    print(f'files: {len(names)}, sites to convert: {TP + FN}, converted: '
          f'{TP + FP} ({TP} right, {FP} wrong)')
    for k in ('precision', 'recall', 'exact'):
        print(f'{k}: {res[k]:.3f} (goal {GOALS[k]:.2f}: '
              f'{"met" if res[k] >= GOALS[k] else "missed"})')
    if not gate:
        return 0
    checks = [('precision >= %.2f' % GOALS['precision'],
               res['precision'] >= GOALS['precision']),
              ('every get call has a verdict, spatch never fails, '
               'the patched C still parses', not broken)]
    for i, (what, ok) in enumerate(checks, 1):
        print(f'{"ok" if ok else "not ok"} {i} gate: {what}')
    for b in broken:
        print(f'#   {b}')
    failed = sum(not ok for what, ok in checks)
    print(f'{len(checks) - failed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
