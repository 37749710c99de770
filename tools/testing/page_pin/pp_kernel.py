# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: kernel configuration and builds, patched and unpatched
# base.
"""Kernel configuration and builds, patched and unpatched base."""

import os
import re
import shutil
import subprocess
import time

from pp_common import (BUILD, RESULTS, ROOT, TREE, die, gate_row, log,
                       progress, sh)
from pp_arches import ARCHES, parse_arches
from pp_tree import ensure_base_tree


def make_env():
    env = dict(os.environ)
    env.pop('ARCH', None)
    env.setdefault('CCACHE_DIR', os.path.expanduser('~/.cache/ccache'))
    env['CCACHE_BASEDIR'] = ROOT
    env['CCACHE_NOHASHDIR'] = '1'
    env['KBUILD_BUILD_TIMESTAMP'] = '2000-01-01'
    env['KBUILD_BUILD_USER'] = 'page_pin'
    env['KBUILD_BUILD_HOST'] = 'qemu'
    # Our make's variables must not leak into the kernel's sub-makes.
    for var in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES'):
        env.pop(var, None)
    return env


def kmake(arch, out, *targets, src=TREE):
    a = ARCHES[arch]
    cc = f'{a["cross"]}gcc'
    cmd = ['make', '-s', '-C', src, f'O={out}', f'ARCH={a["karch"]}',
           f'CROSS_COMPILE={a["cross"]}', f'CC=ccache {cc}',
           'HOSTCC=ccache gcc', f'-j{os.cpu_count()}'] + list(targets)
    sh(cmd, env=make_env())


def fragments(arch):
    a = ARCHES[arch]
    frags = [os.path.join(TREE, 'kernel/configs/page_pin_test.config'),
             os.path.join(TREE, f'arch/{a["karch"]}/configs/'
                          'page_pin_qemu.config')]
    frags += [os.path.join(TREE, f) for f in a.get('extra', [])]
    for frag in frags:
        if not os.path.exists(frag):
            die(f'config fragment {frag} is missing')
    return frags


def requested(frags):
    want = {}
    for frag in frags:
        with open(frag, encoding='utf-8') as f:
            for line in f:
                m = re.match(r'^(CONFIG_\w+)=(.*)$', line.strip())
                if m:
                    want[m.group(1)] = m.group(2)
                m = re.match(r'^# (CONFIG_\w+) is not set', line.strip())
                if m:
                    want[m.group(1)] = 'n'
    return want


def read_config(path):
    have = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            m = re.match(r'^(CONFIG_\w+)=(.*)$', line.strip())
            if m:
                have[m.group(1)] = m.group(2)
    return have


def configure(arch, out, src=TREE, extra=(), frags=None, allno=False):
    """Merge the arch's fragments and extra (or only frags) onto
    alldefconfig (allnoconfig with allno) and check that Kconfig granted
    every option they ask for."""
    frags = frags or fragments(arch) + list(extra)
    a = ARCHES[arch]
    env = make_env()
    env.update(ARCH=a['karch'], CROSS_COMPILE=a['cross'])
    os.makedirs(out, exist_ok=True)
    res = subprocess.run([os.path.join(src, 'scripts/kconfig/merge_config.sh'),
                          '-O', out] + (['-n'] if allno else []) + frags,
                         cwd=src, env=env, capture_output=True, text=True)
    if res.returncode:
        print(res.stdout[-3000:], res.stderr[-3000:])
        die(f'{arch}: merge_config.sh failed')
    have = read_config(os.path.join(out, '.config'))
    bad = [f'{k}={v} (got {have.get(k, "n")})'
           for k, v in requested(frags).items() if have.get(k, 'n') != v]
    if bad:
        die(f'{arch}: the config fragments ask for options that Kconfig '
            f'did not grant:\n  ' + '\n  '.join(bad))


# Seconds spent building kernels in this run, for the timing records.
BUILD_SECONDS = []


def build_estimate(arch, minutes=None):
    """What a kernel build of arch is expected to take on 2 cores."""
    return (f'about {minutes or ARCHES[arch]["cold_build_min"]} min on 2 '
            'cores with an empty ccache, a minute or less when up to date')


def build(arch, out=None, src=TREE, extra=(), frags=None, allno=False,
          minutes=None):
    """Build a kernel of arch in out (build/<arch>); see configure()."""
    out = out or os.path.join(BUILD, arch)
    t0 = time.time()
    configure(arch, out, src, extra, frags, allno)
    targets = [os.path.basename(ARCHES[arch]['image'])]
    # Modules such as ext4 call folio_maybe_dma_pinned(): building them
    # proves that everything the inline needs is exported.
    if read_config(os.path.join(out, '.config')).get('CONFIG_MODULES') == 'y':
        targets.append('modules')
    with progress(f'building the {arch} kernel in '
                  f'{os.path.relpath(out, ROOT)}',
                  build_estimate(arch, minutes)):
        kmake(arch, out, *targets, src=src)
    dt = time.time() - t0
    BUILD_SECONDS.append(dt)
    log(f'{arch}: kernel built in {dt:.0f} s ({out})')
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f'build-{arch}.time'), 'w',
              encoding='utf-8') as f:
        f.write(f'{dt:.0f}\n')
    return os.path.join(out, ARCHES[arch]['image'])


def cmd_build(args):
    for arch in parse_arches(args):
        build(arch)


def base_dir(arch):
    """build/<arch>-base; without its page_pin options x86_64-pext is the
    x86_64 config, so it shares x86_64's base kernel."""
    return os.path.join(BUILD, f'{arch.removesuffix("-pext")}-base')


def build_base_kernel(arch, out=None, extra=(), frags=None, allno=False,
                      minutes=None):
    """The unpatched base with the same fragments, minus page_pin."""
    out = out or base_dir(arch)
    base = ensure_base_tree()
    wanted = frags or fragments(arch) + [os.path.join(TREE, e)
                                          for e in extra]
    frags = []
    for frag in wanted:
        dst = os.path.join(out + '-frags', os.path.basename(frag))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(frag, encoding='utf-8') as f:
            keep = [ln for ln in f if 'PAGE_PIN' not in ln]
        with open(dst, 'w', encoding='utf-8') as f:
            f.writelines(keep)
        frags.append(dst)
    a = ARCHES[arch]
    env = make_env()
    env.update(ARCH=a['karch'], CROSS_COMPILE=a['cross'])
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    merge = os.path.join(base, 'scripts/kconfig/merge_config.sh')
    res = subprocess.run([merge, '-O', out] + (['-n'] if allno else []) +
                         frags, cwd=base, env=env, capture_output=True,
                         text=True)
    if res.returncode:
        die(f'{arch}-base: merge_config.sh failed\n{res.stderr[-2000:]}')
    with progress(f'building the unpatched {arch} base kernel in '
                  f'{os.path.relpath(out, ROOT)}',
                  build_estimate(arch, minutes)):
        kmake(arch, out, os.path.basename(a['image']), src=base)
    BUILD_SECONDS.append(time.time() - t0)
    log(f'{arch}: base kernel built in {time.time() - t0:.0f} s')
    return os.path.join(out, a['image'])


# make run's kernels, also booted by make check without page_pin= (the
# CONFIG_PAGE_PIN_DEFAULT_ON default): small, from allnoconfig, without
# debugging options, x86_64 only.  About 2 min each to build with an empty
# ccache on 2 cores (measured: 108 s).
RUN_CONFIG = 'kernel/configs/page_pin_run.config'
RUN_BUILD_MIN = 2


def build_run_kernel(base=False):
    """make run's patched (or unpatched base) x86_64 kernel."""
    frags = [os.path.join(TREE, RUN_CONFIG)]
    out = os.path.join(BUILD, 'run-x86_64' + ('-base' if base else ''))
    builder = build_base_kernel if base else build
    return builder('x86_64', out, frags=frags, allno=True,
                   minutes=RUN_BUILD_MIN)


def nopin_row(arch):
    """The patched tree with CONFIG_PAGE_PIN=n: an allnoconfig-based build
    of the arch's test fragments, page_pin switched off."""
    t0 = time.time()
    out = os.path.join(BUILD, f'{arch}-nopin')
    a = ARCHES[arch]
    env = make_env()
    env.update(ARCH=a['karch'], CROSS_COMPILE=a['cross'])
    os.makedirs(out, exist_ok=True)
    frags = fragments(arch) + [os.path.join(
        TREE, 'kernel/configs/page_pin_off.config')]
    res = subprocess.run([os.path.join(TREE, 'scripts/kconfig/'
                                       'merge_config.sh'), '-n', '-O', out] +
                         frags, cwd=TREE, env=env, capture_output=True,
                         text=True)
    have = read_config(os.path.join(out, '.config')) \
        if res.returncode == 0 else {}
    fails = []
    if res.returncode:
        fails.append(f'merge_config.sh failed: {res.stderr[-500:]}')
    elif 'CONFIG_PAGE_PIN' in have or 'CONFIG_MMU' not in have:
        fails.append('the config is not MMU with CONFIG_PAGE_PIN=n')
    else:
        try:
            with progress(f'building {arch} with CONFIG_PAGE_PIN=n in '
                          f'{os.path.relpath(out, ROOT)}',
                          build_estimate(arch, 3)):
                kmake(arch, out, 'vmlinux')
        except subprocess.CalledProcessError as e:
            fails.append(f'{arch}: CONFIG_PAGE_PIN=n does not build: {e}')
    BUILD_SECONDS.append(time.time() - t0)
    log(f'{arch}-nopin: {"builds" if not fails else fails}')
    return gate_row('build with CONFIG_PAGE_PIN=n', fails, t0, arch=arch)


def modlink_row(arch):
    """Build tools/testing/page_pin/modlink against build/<arch>."""
    t0 = time.time()
    src = os.path.join(ROOT, 'tools/testing/page_pin/modlink')
    out = os.path.join(BUILD, f'modlink-{arch}')
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(src, out)
    try:
        kmake(arch, os.path.join(BUILD, arch), f'M={out}', 'modules')
        ok = os.path.exists(os.path.join(out, 'page_pin_modlink.ko'))
        why = [] if ok else ['no page_pin_modlink.ko']
    except subprocess.CalledProcessError as e:
        ok, why = False, [f'{arch}: a non-GPL module calling '
                          f'folio_maybe_dma_pinned() does not link: {e}']
    log(f'modlink-{arch}: {"links" if ok else "FAILS"}')
    return {'arch': arch, 'mode': '-',
            'suite': 'non-GPL module links folio_maybe_dma_pinned()',
            'passed': int(ok), 'failed': int(not ok), 'skipped': 0,
            'failures': why, 'seconds': round(time.time() - t0)}
