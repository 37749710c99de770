# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: static gates: checkpatch, kernel-doc, sparse, page_ext
# atomics, series and bisect.
"""Static gates."""

import os
import re
import subprocess
import time

from pp_common import (BUILD, RESULTS, ROOT, SeriesError, TREE, gate_row,
                       git, log)
from pp_arches import ARCHES
from pp_tree import (AM_TREE, BASE_TREE, SERIES_TREE, fresh_worktree, git_am,
                     overlay_files, series)
from pp_kernel import base_dir, kmake, make_env, read_config, requested


def read_exceptions():
    waived = []
    with open(os.path.join(ROOT, 'tools/testing/page_pin/'
                           'checkpatch.exceptions'), encoding='utf-8') as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                path, msg = line.rstrip('\n').split('\t', 1)
                waived.append((path, msg))
    return waived


def checkpatch_findings(args):
    """checkpatch --strict findings as (file, message) pairs."""
    # Debian's python3 has ply and GitPython (deps.sh), which checkpatch's
    # SPDX check needs; without them that check passes silently.
    env = dict(os.environ, PATH='/usr/bin:' + os.environ.get('PATH', ''))
    res = subprocess.run([os.path.join(TREE, 'scripts/checkpatch.pl'),
                          '--strict', '--no-summary'] + args, cwd=TREE,
                         capture_output=True, text=True, env=env)
    if 'Traceback' in res.stderr:
        return [('', 'checkpatch helper failed: ' +
                 res.stderr.strip().splitlines()[-1])]
    found, msg = [], None
    for line in res.stdout.splitlines():
        m = re.match(r'^(ERROR|WARNING|CHECK): (.*)$', line)
        if m:
            if msg:
                found.append(('', msg))
            msg = f'{m.group(1)}: {m.group(2)}'
            continue
        m = re.match(r'^#\d+: FILE: (.*?):\d+:', line)
        if m and msg:
            found.append((m.group(1), msg))
            msg = None
    if msg:
        found.append(('', msg))
    return found


MAINTAINERS_WARNING = 'does MAINTAINERS need updating?'


def maintained_by_mm(patch):
    """Whether get_maintainer.pl sends every file the patch adds to
    linux-mm: then checkpatch's MAINTAINERS question is answered."""
    with open(patch, encoding='utf-8', errors='replace') as f:
        added = re.findall(r'^diff --git a/\S+ b/(\S+)\nnew file mode',
                           f.read(), re.M)
    for path in added:
        res = subprocess.run(['perl', 'scripts/get_maintainer.pl', '--nogit',
                              '--nogit-fallback', '--norolestats', '-f',
                              path], cwd=TREE, capture_output=True, text=True)
        if 'linux-mm@kvack.org' not in res.stdout:
            return False
    return bool(added)


# A non-atomic write to page_ext->flags, the word that page_pin's mark
# shares with page_owner and page_idle (see include/linux/page_ext.h): a
# non-atomic bitop on a PAGE_EXT_* bit or on a page_ext's flags word, or a
# plain assignment to it.
PAGE_EXT_RMW = (r'(__(set|clear|change|assign)_bit|__test_and_(set|clear|'
                r'change)_bit)[[:space:]]*\([[:space:]]*(PAGE_EXT_|[^;]*'
                r'[^a-z_]page_ext[a-z_]*->flags)|(^|[^a-z_])page_ext[a-z_]*'
                r'->flags[[:space:]]*[|&^]?=[^=]')


def page_ext_rmw(rev=None):
    """git grep PAGE_EXT_RMW in build/linux's work tree, or in rev.

    The files that mention page_ext at all are found with a fixed-string
    search first; the regular expression alone takes 40 s on the tree.
    """
    revs = [rev] if rev else []
    out = []
    for args in (['-l', '-F', '-e', 'PAGE_EXT_', '-e', 'page_ext'],
                 ['-n', '-E', PAGE_EXT_RMW]):
        res = subprocess.run(['git', '-C', TREE, 'grep'] + args + revs +
                             ['--'] + (out or ['*.c', '*.h']),
                             capture_output=True, text=True)
        if res.returncode > 1:
            raise SeriesError(f'git grep failed: {res.stderr.strip()}')
        out = [ln.split(':', 1)[1] if rev else ln
               for ln in res.stdout.splitlines()]
        if not out:
            return []
    return [' '.join(line.split()) for line in res.stdout.splitlines()]


def page_ext_flags_gate():
    """Every write to the shared page_ext->flags word must be atomic.

    The prepared tree must have none; the base must show page_owner's
    three, so that the pattern is known to catch them.
    """
    t0 = time.time()
    bad = page_ext_rmw()
    base = page_ext_rmw('base')
    fails = [f'non-atomic write to page_ext->flags: {b}' for b in bad]
    if len([b for b in base if 'page_owner.c' in b]) != 3:
        fails.append('the pattern no longer finds page_owner\'s 3 '
                      f'non-atomic writes in the base: {base}')
    log(f'page_ext->flags: {len(bad)} non-atomic writes in the tree, '
        f'{len(base)} in the base')
    return gate_row('page_ext->flags written atomically', fails, t0)


def style_gates(patches):
    """checkpatch --strict on the posted series and the harness sources,
    and kernel-doc."""
    t0 = time.time()
    waived = read_exceptions()
    bad = []
    for path in patches[1:]:
        for fname, msg in checkpatch_findings([path]):
            if MAINTAINERS_WARNING in msg and maintained_by_mm(path):
                continue
            if not any(fname.endswith(w[0]) and w[1] in msg for w in waived):
                bad.append(f'{os.path.basename(path)}: {fname}: {msg}')
    new_src = [p for _, p in overlay_files()
               if p.endswith(('.c', '.h')) and
               p.startswith(('include/', 'mm/', 'lib/', 'tools/testing/'))
               and '/tests/' not in p]
    # The series carries the new kernel files; the harness's own C sources
    # are checked as files.
    harness = [p for p in new_src if p.startswith('tools/testing/page_pin/')]
    for fname, msg in checkpatch_findings(['--no-tree', '-f'] + [
            os.path.join(ROOT, p) for p in harness]):
        bad.append(f'{os.path.relpath(fname, ROOT)}: {msg}')
    rows = [{'arch': '-', 'mode': '-', 'suite': 'checkpatch --strict '
             f'({len(patches) - 1} patches, {len(harness)} harness files)',
             'passed': int(not bad), 'failed': int(bool(bad)), 'skipped': 0,
             'failures': bad, 'seconds': round(time.time() - t0)}]
    kdoc = [os.path.join(TREE, p) for p in new_src
            if p.startswith(('include/', 'mm/', 'lib/'))]
    res = subprocess.run([os.path.join(TREE, 'scripts/kernel-doc'), '-none',
                          '-Wall'] + kdoc, capture_output=True, text=True)
    out = (res.stdout + res.stderr).strip()
    ok = res.returncode == 0 and not out
    rows.append({'arch': '-', 'mode': '-', 'suite': 'kernel-doc',
                 'passed': int(ok), 'failed': int(not ok), 'skipped': 0,
                 'failures': [] if ok else out.splitlines()[:20],
                 'seconds': 0})
    rst = [p for _, p in overlay_files() if p.endswith('.rst')]
    check = ('import sys, docutils.core\n'
             'for path in sys.argv[1:]:\n'
             '    docutils.core.publish_doctree(open(path).read(), '
             'source_path=path, settings_overrides={"halt_level": 2, '
             '"report_level": 2})\n')
    res = subprocess.run(['/usr/bin/python3', '-c', check] +
                         [os.path.join(ROOT, p) for p in rst],
                         capture_output=True, text=True)
    rows.append({'arch': '-', 'mode': '-', 'suite': 'reST (docutils)',
                 'passed': int(res.returncode == 0),
                 'failed': int(res.returncode != 0), 'skipped': 0,
                 'failures': res.stderr.strip().splitlines()[-5:]
                 if res.returncode else [], 'seconds': 0})
    log(f'checkpatch: {len(bad)} findings; kernel-doc: '
        f'{"clean" if ok else out[:200]}')
    return rows


def touched_objects():
    """Objects built from the files that patches/ and the overlay touch."""
    objs = set()
    for name in series():
        with open(os.path.join(ROOT, 'patches', name), encoding='utf-8',
                  errors='replace') as f:
            for line in f:
                m = re.match(r'^\+\+\+ b/(\S+)\.c$', line)
                if m and not m.group(1).startswith(('tools/', 'scripts/')):
                    objs.add(m.group(1) + '.o')
    for _, path in overlay_files():
        if path.endswith('.c') and path.split('/')[0] in ('mm', 'lib', 'fs'):
            objs.add(path[:-2] + '.o')
    return sorted(objs)


def sparse_warnings(arch, src, out, objs):
    """{object: set of sparse warnings}, one make C=2 run per object."""
    a = ARCHES[arch]
    found, rc = {}, 0
    for obj in objs:
        cmd = ['make', '-C', src, f'O={out}', f'ARCH={a["karch"]}',
               f'CROSS_COMPILE={a["cross"]}', 'C=2', obj]
        res = subprocess.run(cmd, env=make_env(), capture_output=True,
                             text=True)
        rc |= res.returncode
        warns = set()
        for line in (res.stdout + res.stderr).splitlines():
            m = re.match(r'^(\S+?):\d+:\d+: (warning|error): (.*)$', line)
            if m:
                path = re.sub(r'^.*?/build/(linux|base)/', '', m.group(1))
                path = re.sub(r'^(\.\./)+(linux|base)/', '', path)
                warns.add(f'{path}: {m.group(2)}: {m.group(3)}')
        found[obj] = warns
    return found, rc


def sparse_gate(arch):
    """No new sparse warnings in touched objects, against the base."""
    t0 = time.time()
    # Only objects that this configuration builds (page_ext.o is not built
    # with the page flag backend, for instance).
    objs = [o for o in touched_objects()
            if os.path.exists(os.path.join(BUILD, arch, o))]
    base_objs = [o for o in objs
                 if os.path.exists(os.path.join(base_dir(arch), o))]
    new, rc = sparse_warnings(arch, TREE, os.path.join(BUILD, arch), objs)
    old, _ = sparse_warnings(arch, BASE_TREE, base_dir(arch), base_objs)
    added, uncompared = [], []
    for obj in objs:
        if obj in old:
            added += sorted(f'{obj}: {w}' for w in new[obj] - old[obj])
        elif os.path.exists(os.path.join(BASE_TREE, obj[:-2] + '.c')):
            # Upstream code the base config does not build (mm/page_ext.o
            # where page_pin is the only page_ext user): nothing to compare.
            uncompared += sorted(f'{obj}: {w}' for w in new[obj])
        else:
            added += sorted(f'{obj}: {w}' for w in new[obj])
    with open(os.path.join(RESULTS, f'sparse-{arch}.txt'), 'w',
              encoding='utf-8') as f:
        f.write(f'objects: {" ".join(objs)}\n{len(added)} new warnings\n' +
                ''.join(w + '\n' for w in added) +
                'not built by the base config, so not compared:\n' +
                ''.join(w + '\n' for w in uncompared))
    log(f'sparse {arch}: {len(objs)} objects, {len(added)} new warnings, '
        f'{len(uncompared)} not comparable')
    return gate_row('sparse (C=2)', added or (
        [] if rc == 0 else [f'make C=2 exited {rc}']), t0, arch=arch)


def bare_gate():
    """make check-bare: make check in a minbase Debian 12 root (bare.sh)."""
    t0 = time.time()
    res = subprocess.run(['bash', os.path.join(ROOT, 'tools/testing/page_pin',
                                               'bare.sh'), RESULTS],
                         capture_output=True, text=True)
    out = (res.stdout + res.stderr).strip().splitlines()
    for line in out:
        log(line)
    return {'arch': os.environ.get('BARE_ARCHES', 'm68k'), 'mode': '-',
            'suite': 'bare Debian 12 (debootstrap minbase)',
            'passed': int(res.returncode == 0),
            'failed': int(res.returncode != 0), 'skipped': 0,
            'failures': [] if res.returncode == 0 else out[-20:],
            'seconds': round(time.time() - t0)}


def am_gate(patches):
    """git am of the posted series onto a pristine base reproduces it."""
    t0 = time.time()
    fresh_worktree(AM_TREE)
    fails = []
    try:
        for patch in patches[1:]:
            git_am(AM_TREE, patch)
        diff = git('diff', '--stat', 'HEAD', git('rev-parse', 'HEAD',
                                                 tree=SERIES_TREE),
                   tree=AM_TREE)
        if diff:
            fails.append(f'git am result differs from the series:\n{diff}')
    except SeriesError as e:
        fails.append(str(e))
    return gate_row(f'git am ({len(patches) - 1} patches onto the base)',
                    fails, t0)


def kconfig_symbols(commit):
    """Every Kconfig symbol defined in the tree at commit."""
    out = git('grep', '-h', '-E', r'^[[:space:]]*(menu)?config[[:space:]]',
              commit, '--', '*Kconfig*', tree=SERIES_TREE)
    return {ln.split()[1] for ln in out.splitlines() if len(ln.split()) > 1}


def boot_values(commit):
    """page_pin= values as documented and as parsed, at commit."""
    def show(path):
        res = subprocess.run(['git', '-C', SERIES_TREE, 'show',
                              f'{commit}:{path}'], capture_output=True,
                             text=True)
        return res.stdout if res.returncode == 0 else None
    doc = show('Documentation/admin-guide/kernel-parameters.txt') or ''
    m = re.search(r'^\tpage_pin=.*?Format: \{([^}]*)\}', doc, re.M | re.S)
    documented = {v.strip() for v in m.group(1).split('|')} if m else None
    src = show('mm/page_pin.c')
    parsed = None
    if src is not None:
        body = re.search(r'int page_pin_parse\(.*?\n}\n', src, re.S)
        parsed = set(re.findall(r'!strcmp\(str, "([^"]+)"\)',
                                body.group(0) if body else ''))
    return documented, parsed


def coherence_gate(patches):
    """Each patch of the series only uses what exists at that point: the
    Kconfig symbols its added lines name are defined, and the page_pin=
    values documented in kernel-parameters.txt are the ones parsed."""
    t0 = time.time()
    commits = git('rev-list', '--reverse', 'base..HEAD',
                  tree=SERIES_TREE).split()
    fails = []
    for num, commit in enumerate(commits, 1):
        name = os.path.basename(patches[num])
        added = [ln[1:] for ln in git('show', '--format=', commit,
                                      tree=SERIES_TREE).splitlines()
                 if ln.startswith('+') and not ln.startswith('+++')]
        used = set(re.findall(r'\bCONFIG_([A-Z0-9_]+)', '\n'.join(added)))
        missing = sorted(used - kconfig_symbols(commit))
        if missing:
            fails.append(f'{name}: uses CONFIG_{", CONFIG_".join(missing)}, '
                         'not defined at this patch')
        documented, parsed = boot_values(commit)
        if documented != parsed:
            fails.append(f'{name}: page_pin= values documented '
                         f'{sorted(documented or [])}, parsed '
                         f'{sorted(parsed or [])}')
    log(f'series coherence: {len(fails)} problems in {len(commits)} patches')
    return gate_row(f'series: symbols and page_pin= values exist at each '
                    f'patch ({len(commits)} patches)', fails, t0)


def bisect_gate(patches):
    """Build a small x86_64 config after every patch (make check-full)."""
    t0 = time.time()
    frag = os.path.join(ROOT, 'kernel/configs/page_pin_bisect.config')
    commits = git('rev-list', '--reverse', 'base..HEAD',
                  tree=SERIES_TREE).split()
    fails, built = [], 0
    for variant, extra in (('', []), ('-pext', [os.path.join(
            ROOT, 'kernel/configs/page_pin_force_page_ext.config')])):
        out = os.path.join(BUILD, f'bisect-x86_64{variant}')
        for num, commit in enumerate(commits, 1):
            git('checkout', '-q', '--detach', commit, tree=SERIES_TREE)
            env = make_env()
            env.update(ARCH='x86', CROSS_COMPILE='')
            os.makedirs(out, exist_ok=True)
            # Options that do not exist yet at this patch are dropped by
            # Kconfig; that is expected here.
            subprocess.run([os.path.join(SERIES_TREE,
                                         'scripts/kconfig/merge_config.sh'),
                            '-n', '-O', out, frag] + extra, cwd=SERIES_TREE,
                           env=env, capture_output=True, check=True)
            t1 = time.time()
            try:
                kmake('x86_64', out, 'vmlinux', src=SERIES_TREE)
                built += 1
                log(f'bisect x86_64{variant}: patch {num}/{len(commits)} '
                    f'built in {time.time() - t1:.0f} s')
            except subprocess.CalledProcessError:
                fails.append(f'x86_64{variant}: the tree does not build '
                             f'after {os.path.basename(patches[num])}')
        # After the last patch every option must exist and be granted,
        # or the bisect builds would not cover what they claim to.
        have = read_config(os.path.join(out, '.config'))
        fails += [f'x86_64{variant}: bisect config: {k}={v} not granted'
                  for k, v in requested([frag] + extra).items()
                  if have.get(k, 'n') != v]
        git('checkout', '-q', '--detach', commits[-1], tree=SERIES_TREE)
    return gate_row(f'bisect: build after each patch ({built} builds)',
                    fails, t0, arch='x86_64')
