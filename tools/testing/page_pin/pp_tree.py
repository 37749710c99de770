# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: the prepared tree: the Debian base, patches/, the overlay
# and the posted series.
"""The prepared tree."""

import fnmatch
import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time

from pp_common import (BUILD, RESULTS, ROOT, SeriesError, TREE, die,
                       generated_block, git, log, sh)


# Top-level kernel directories; tracked files below them form the overlay.
OVERLAY_DIRS = ('Documentation', 'arch', 'block', 'drivers', 'fs', 'include',
                'init', 'kernel', 'lib', 'mm', 'scripts', 'tools', 'usr')


def read_base():
    base = {}
    with open(os.path.join(ROOT, 'BASE'), encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                key, _, val = line.partition('=')
                base[key.strip()] = val.strip()
    for key in ('package', 'version', 'tarball', 'sha256'):
        if key not in base:
            die(f'BASE lacks "{key}="')
    return base


def installed_version(pkg):
    res = subprocess.run(['dpkg-query', '-W', '-f=${Version}', pkg],
                         capture_output=True, text=True)
    return res.stdout.strip() if res.returncode == 0 else None


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def check_base():
    """Check the base package; return (version, sha256, exact)."""
    base = read_base()
    tarball = base['tarball']
    if not os.path.exists(tarball):
        die(f'base tarball {tarball} is missing; install it with:\n'
            f'    apt-get install {base["package"]}', 2)
    version = installed_version(base['package']) or 'unknown'
    digest = sha256(tarball)
    exact = digest == base['sha256']
    if not exact:
        banner = '!' * 72
        print(f'{banner}\n'
              f'pp: BASE MISMATCH: recorded {base["package"]} '
              f'{base["version"]} (sha256 {base["sha256"][:16]}...)\n'
              f'pp: installed is {version} (sha256 {digest[:16]}...)\n'
              f'pp: the series will be applied to the installed base; '
              f'it must apply cleanly or nothing is changed.\n{banner}',
              flush=True)
    return version, digest, exact


def overlay_files():
    out = subprocess.run(['git', '-C', ROOT, 'ls-files', '-s', '--'] +
                         list(OVERLAY_DIRS), capture_output=True, text=True,
                         check=True).stdout
    files = []
    for line in out.splitlines():
        meta, path = line.split('\t', 1)
        mode = meta.split()[0]
        files.append((mode, path))
    # Untracked but not ignored files are part of a developer's overlay too.
    out = subprocess.run(['git', '-C', ROOT, 'ls-files', '-o',
                          '--exclude-standard', '--'] + list(OVERLAY_DIRS),
                         capture_output=True, text=True, check=True).stdout
    for path in out.splitlines():
        mode = '100755' if os.access(os.path.join(ROOT, path), os.X_OK) \
            else '100644'
        files.append((mode, path))
    return files


def series():
    path = os.path.join(ROOT, 'patches', 'series')
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as f:
        names = [ln.split('#')[0].strip() for ln in f]
    return [n for n in names if n]


def make_baseline(version, digest):
    """Extract the base into a fresh git repository (once per base)."""
    base = read_base()
    tmp = TREE + '.new'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    log(f'extracting {base["tarball"]} into build/linux (once per base)')
    t0 = time.time()
    sh(['tar', '-C', tmp, '--strip-components=1', '-xf', base['tarball']])
    env = dict(os.environ, GIT_AUTHOR_DATE='2000-01-01T00:00:00Z',
               GIT_COMMITTER_DATE='2000-01-01T00:00:00Z')
    git('init', '-q', '-b', 'page_pin', tree=tmp)
    git('config', 'user.name', 'page_pin harness', tree=tmp)
    git('config', 'user.email', 'page_pin@localhost', tree=tmp)
    git('config', 'core.autocrlf', 'false', tree=tmp)
    git('config', 'gc.auto', '0', tree=tmp)
    git('add', '-A', '-f', '.', tree=tmp)
    git('commit', '-q', '--no-verify', '-m',
        f'base: {base["package"]} {version}\n\nsha256 {digest}',
        env=env, tree=tmp)
    git('tag', 'base', tree=tmp)
    with open(os.path.join(tmp, '.git', 'page_pin_base'), 'w',
              encoding='utf-8') as f:
        f.write(f'{version} {digest}\n')
    if os.path.exists(TREE):
        shutil.rmtree(TREE)
    os.rename(tmp, TREE)
    log(f'baseline ready in {time.time() - t0:.0f} s')


def cmd_tree(_args=None):
    """Prepare build/linux = base + patches/ + overlay, incrementally."""
    version, digest, exact = check_base()
    stamp = os.path.join(TREE, '.git', 'page_pin_base')
    have = None
    if os.path.exists(stamp):
        with open(stamp, encoding='utf-8') as f:
            have = f.read().split()
    if have != [version, digest]:
        make_baseline(version, digest)

    # Build the patched commit in a scratch index, so that a failing patch
    # leaves the work tree exactly as it was.
    fd, index = tempfile.mkstemp(prefix='pp-index-', dir=BUILD)
    os.close(fd)
    os.unlink(index)
    env = dict(os.environ, GIT_INDEX_FILE=index,
               GIT_AUTHOR_DATE='2000-01-01T00:00:00Z',
               GIT_COMMITTER_DATE='2000-01-01T00:00:00Z')
    try:
        mapping = overlay_map()
    except SeriesError as e:
        die(f'{e}; build/linux is unchanged')
    modes = {path: mode for mode, path in overlay_files()}

    def add_overlay(paths):
        lines = []
        for path in paths:
            sha = subprocess.run(['git', '-C', TREE, 'hash-object', '-w',
                                  os.path.join(ROOT, path)],
                                 capture_output=True, text=True,
                                 check=True).stdout.strip()
            lines.append(f'{modes[path]} {sha}\t{path}\n')
        subprocess.run(['git', '-C', TREE, 'update-index', '--add',
                        '--index-info'], env=env, input=''.join(lines),
                       text=True, check=True)
        return len(lines)

    try:
        git('read-tree', 'base', env=env)
        parent = git('rev-parse', 'base')
        for name in series():
            patch = os.path.join(ROOT, 'patches', name)
            if not os.path.exists(patch):
                die(f'patches/series names {name}, which does not exist; '
                    'build/linux is unchanged')
            res = subprocess.run(['git', '-C', TREE, 'apply', '--cached',
                                  '--whitespace=nowarn', patch], env=env,
                                 capture_output=True, text=True)
            if res.returncode:
                die(f'patch {name} does not apply to the base:\n'
                    f'{res.stderr.strip()}\nbuild/linux is unchanged')
            subj = name
            with open(patch, encoding='utf-8', errors='replace') as f:
                for line in f:
                    if line.startswith('Subject:'):
                        subj = re.sub(r'^Subject:\s*(\[[^]]*\]\s*)?', '',
                                      line.strip())
                        break
            # The new files this patch creates, as the overlay holds them;
            # later patches may change them.
            add_overlay(sorted(p for p, n in mapping.items() if n == name))
            tree = git('write-tree', env=env)
            parent = git('commit-tree', tree, '-p', parent, '-m',
                         f'{subj}\n\n(from patches/{name})', env=env)
        harness = add_overlay(sorted(p for p, n in mapping.items()
                                     if n is None))
        tree = git('write-tree', env=env)
        top = git('commit-tree', tree, '-p', parent, '-m',
                  f'page_pin test harness ({harness} files)', env=env)
    finally:
        if os.path.exists(index):
            os.unlink(index)
    # Only the files that differ from the current checkout are rewritten,
    # so kbuild rebuilds only what changed.
    git('reset', '-q', '--hard', top)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, 'base.txt'), 'w', encoding='utf-8') as f:
        f.write(f'{read_base()["package"]} {version} '
                f'{"(recorded base)" if exact else "(NEWER than recorded)"}\n')
    log(f'build/linux ready: base {version}, {len(series())} patches, '
        f'{len(mapping)} overlay files')


BASE_TREE = os.path.join(BUILD, 'base')


def ensure_base_tree():
    """A pristine checkout of the base in build/base, for the Coccinelle
    runs and the unpatched-base kernels."""
    if not os.path.exists(os.path.join(BASE_TREE, 'Makefile')):
        shutil.rmtree(BASE_TREE, ignore_errors=True)
        git('worktree', 'prune')
        git('worktree', 'add', '-q', '--detach', BASE_TREE, 'base')
    return BASE_TREE


WORK = os.path.join(BUILD, 'work')


def cmd_work(_args):
    """Make build/work: base + patches/ as one commit per patch (git am),
    each with the overlay files its patch creates."""
    cmd_tree()
    if os.path.exists(WORK):
        die('build/work exists; export it or remove it first')
    git('worktree', 'prune')
    git('worktree', 'add', '-q', '-B', 'series', WORK, 'base')
    try:
        am_series(WORK, overlay_map())
    except SeriesError as e:
        die(str(e))
    log(f'build/work: {len(series())} commits on branch "series"; edit, '
        'commit (one commit per patch), then run "make export"')


def cmd_export(_args):
    """Write the commits of build/work back into patches/ and the overlay.

    A new file that patches/overlay.map assigns to a patch goes back to the
    overlay as that patch's commit leaves it, and out of the patch file;
    changes that later commits make to it stay in their patches.
    """
    if not os.path.exists(WORK):
        die('no build/work; run "make work" first')
    try:
        mapping = overlay_map()
    except SeriesError as e:
        die(str(e))
    pdir = os.path.join(ROOT, 'patches')
    commits = git('rev-list', '--reverse', 'base..HEAD',
                  tree=WORK).splitlines()
    old = series()
    for name in old:
        os.unlink(os.path.join(pdir, name))
    names = []
    for num, commit in enumerate(commits, 1):
        # overlay.map names patches by their number prefix.
        mine = sorted(p for p, n in mapping.items()
                      if n and n.startswith(f'{num:04d}-'))
        for path in mine:
            text = subprocess.run(['git', '-C', WORK, 'show',
                                   f'{commit}:{path}'], capture_output=True,
                                  check=True).stdout
            with open(os.path.join(ROOT, path), 'wb') as f:
                f.write(text)
        out = git('format-patch', '--zero-commit', '--no-signature',
                  '--no-numbered', f'--start-number={num}', '-o', pdir,
                  f'{commit}^..{commit}', '--', '.',
                  *[f':(exclude){p}' for p in mine], tree=WORK)
        if not out:
            die(f'commit {num} ({commit[:12]}) has nothing but overlay '
                'files; patches/ is now incomplete')
        names.append(os.path.basename(out.splitlines()[0]))
    with open(os.path.join(pdir, 'series'), 'w', encoding='utf-8') as f:
        f.write(''.join(n + '\n' for n in names))
    log(f'exported {len(names)} patches to patches/')


SERIES_OUT = os.path.join(BUILD, 'series')
SERIES_TREE = os.path.join(BUILD, 'series-tree')
AM_TREE = os.path.join(BUILD, 'series-am')


def overlay_map():
    """{overlay file: patch name, or None for harness files}.

    Read from patches/overlay.map; every overlay file must match exactly
    one line, and every patch named there must be in patches/series.
    """
    rules = []
    with open(os.path.join(ROOT, 'patches', 'overlay.map'),
              encoding='utf-8') as f:
        for num, line in enumerate(f, 1):
            words = line.split('#')[0].split()
            if not words:
                continue
            if len(words) != 2:
                raise SeriesError(f'patches/overlay.map:{num}: expected '
                                  '"<file or pattern> <patch or ->"')
            rules.append((num, words[0], words[1]))
    names = series()
    mapping = {}
    for _, path in overlay_files():
        hits = [r for r in rules if fnmatch.fnmatchcase(path, r[1])]
        if len(hits) != 1:
            where = ', '.join(f'line {r[0]}' for r in hits) or 'no line'
            raise SeriesError(f'{path} matches {where} of '
                              'patches/overlay.map; list it once, with its '
                              'patch or "-"')
        num, _, target = hits[0]
        if target == '-':
            mapping[path] = None
            continue
        match = [n for n in names if n.startswith(target)]
        if len(match) != 1:
            raise SeriesError(f'patches/overlay.map:{num}: "{target}" names '
                              f'{len(match)} patches of patches/series')
        mapping[path] = match[0]
    return mapping


def fresh_worktree(path):
    if os.path.exists(path):
        subprocess.run(['git', '-C', TREE, 'worktree', 'remove', '--force',
                        path], capture_output=True)
        shutil.rmtree(path, ignore_errors=True)
    git('worktree', 'prune')
    git('worktree', 'add', '-q', '--detach', path, 'base')


def git_am(tree, patch):
    res = subprocess.run(['git', '-C', tree, 'am', '-q', '--keep-cr', patch],
                         capture_output=True, text=True)
    if res.returncode:
        subprocess.run(['git', '-C', tree, 'am', '--abort'],
                       capture_output=True)
        raise SeriesError(f'git am {os.path.basename(patch)} failed:\n'
                          f'{(res.stdout + res.stderr).strip()}')


def cover_letter(path):
    """Fill format-patch's cover letter from patches/cover-letter."""
    with open(os.path.join(ROOT, 'patches', 'cover-letter'),
              encoding='utf-8') as f:
        subject, body = f.read().split('\n', 1)
    version = read_base()['version']
    body = body.replace('@BASE@', f'{read_base()["package"]} {version}')
    for name in ('bench', 'reclaim', 'results'):
        body = body.replace(f'@{name.upper()}@', generated_block(name))
    with open(path, encoding='utf-8') as f:
        text = f.read()
    text = text.replace('*** SUBJECT HERE ***', subject.strip())
    text = text.replace('*** BLURB HERE ***', body.strip())
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def am_series(tree, mapping):
    """git am patches/ in tree, each commit with the overlay files that
    its patch creates (patches/overlay.map)."""
    for name in series():
        git_am(tree, os.path.join(ROOT, 'patches', name))
        files = sorted(p for p, n in mapping.items() if n == name)
        for path in files:
            dest = os.path.join(tree, path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(os.path.join(ROOT, path), dest)
        if files:
            git('add', '-f', '--', *files, tree=tree)
            git('commit', '-q', '--amend', '--no-edit', tree=tree)


def make_series():
    """Base + patches/ with each overlay file in its patch: build/series."""
    cmd_tree()
    mapping = overlay_map()
    fresh_worktree(SERIES_TREE)
    am_series(SERIES_TREE, mapping)
    # The series must rebuild exactly the tree that the tests ran on,
    # apart from the harness.
    differ = [p for p in git('diff', '--name-only', 'HEAD', 'page_pin',
                             tree=SERIES_TREE).splitlines()
              if mapping.get(p, '') is not None]
    if differ:
        raise SeriesError('the series does not reproduce build/linux: ' +
                          ', '.join(differ))
    shutil.rmtree(SERIES_OUT, ignore_errors=True)
    out = git('format-patch', '-q', '--cover-letter', '--zero-commit',
              '--no-signature', '--thread=shallow', '-o', SERIES_OUT,
              'base..HEAD', tree=SERIES_TREE)
    del out
    cover_letter(os.path.join(SERIES_OUT, '0000-cover-letter.patch'))
    patches = sorted(glob.glob(os.path.join(SERIES_OUT, '0*.patch')))
    log(f'build/series: cover letter + {len(patches) - 1} patches')
    return patches


def cmd_series(_args):
    try:
        make_series()
    except SeriesError as e:
        die(str(e))
    for path in sorted(glob.glob(os.path.join(SERIES_OUT, '0*.patch'))):
        print(os.path.relpath(path, ROOT))
