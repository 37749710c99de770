#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# page_pin test harness: prepare the patched tree, build one kernel per arch,
# boot it in QEMU with different command lines and collect the results with
# the kernel's own KTAP parser (tools/testing/kunit/kunit.py parse).
#
# Usage: pp.py tree | build ARCH... | check [--full] [ARCH...] | run | series
#        | work | export
#        | readme
"""page_pin harness."""

import fnmatch
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
BUILD = os.path.join(ROOT, 'build')
TREE = os.path.join(BUILD, 'linux')
RESULTS = os.path.join(BUILD, 'results')

# Top-level kernel directories; tracked files below them form the overlay.
OVERLAY_DIRS = ('Documentation', 'arch', 'block', 'drivers', 'fs', 'include',
                'init', 'kernel', 'lib', 'mm', 'scripts', 'tools', 'usr')

ARCHES = {
    'x86_64': {
        'karch': 'x86', 'cross': '', 'image': 'arch/x86/boot/bzImage',
        'qemu': ['qemu-system-x86_64', '-bios', 'qboot.rom', '-smp', '2'],
        'console': 'ttyS0', 'kvm': True, 'cmdline': 'hugepages=16',
    },
    'arm': {
        'karch': 'arm', 'cross': 'arm-linux-gnueabi-',
        'image': 'arch/arm/boot/zImage',
        'qemu': ['qemu-system-arm', '-machine', 'virt,highmem=off',
                 '-cpu', 'cortex-a15', '-smp', '2'],
        'console': 'ttyAMA0', 'kvm': False, 'cmdline': 'hugepages=16',
    },
    'm68k': {
        'karch': 'm68k', 'cross': 'm68k-linux-gnu-', 'image': 'vmlinux',
        'qemu': ['qemu-system-m68k', '-machine', 'virt'],
        'console': 'ttyGF0', 'kvm': False,
    },
}
# x86_64 with the page_ext backend forced: the 32-bit code path at x86 speed.
ARCHES['x86_64-pext'] = dict(ARCHES['x86_64'], extra=[
    'kernel/configs/page_pin_force_page_ext.config'])
DEFAULT_ARCHES = ['x86_64', 'x86_64-pext', 'arm', 'm68k']
MODES = ['on', 'off', 'debug']

# Anything that looks like a kernel splat fails a run, even when every
# test case reported ok.
SPLAT_RE = re.compile(
    r'(------------\[ cut here \]------------|WARNING: CPU: |'
    r'WARNING: possible |WARNING: inconsistent |BUG: |kernel BUG at|'
    r'Bad page state|Oops[: ]|Kernel panic|Unable to handle kernel|'
    r'general protection fault|KASAN: |UBSAN: |page_pin: .*mismatch|'
    r'INFO: task .* blocked)')

BOOT_TIMEOUT = {'x86_64': 600, 'arm': 900, 'm68k': 900}


def die(msg, code=1):
    """Print a message that names the problem and exit."""
    print(f'pp: error: {msg}', file=sys.stderr)
    sys.exit(code)


def log(msg):
    print(f'pp: {msg}', flush=True)


def sh(cmd, **kw):
    """Run a command, echoing it; raise on failure."""
    return subprocess.run(cmd, check=True, **kw)


def git(*args, env=None, tree=TREE, capture=True, inp=None):
    res = subprocess.run(['git', '-C', tree] + list(args), env=env,
                         input=inp, text=True,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.PIPE if capture else None)
    if res.returncode:
        raise subprocess.CalledProcessError(res.returncode, args,
                                            res.stdout, res.stderr)
    return res.stdout.strip() if capture else ''


# ---------------------------------------------------------------- the base

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


# ---------------------------------------------------------------- the tree

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


# ---------------------------------------------------------------- builds

def parse_arches(names):
    names = names or DEFAULT_ARCHES
    for name in names:
        if name not in ARCHES:
            print(f'pp: unknown arch "{name}"; supported: '
                  f'{" ".join(ARCHES)}', file=sys.stderr)
            sys.exit(2)
    return names


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
           f'HOSTCC=ccache gcc', f'-j{os.cpu_count()}'] + list(targets)
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


def configure(arch, out, src=TREE, extra=()):
    frags = fragments(arch) + list(extra)
    a = ARCHES[arch]
    env = make_env()
    env.update(ARCH=a['karch'], CROSS_COMPILE=a['cross'])
    os.makedirs(out, exist_ok=True)
    res = subprocess.run([os.path.join(src, 'scripts/kconfig/merge_config.sh'),
                          '-O', out] + frags, cwd=src, env=env,
                         capture_output=True, text=True)
    if res.returncode:
        print(res.stdout[-3000:], res.stderr[-3000:])
        die(f'{arch}: merge_config.sh failed')
    have = read_config(os.path.join(out, '.config'))
    bad = [f'{k}={v} (got {have.get(k, "n")})'
           for k, v in requested(frags).items() if have.get(k, 'n') != v]
    if bad:
        die(f'{arch}: the config fragments ask for options that Kconfig '
            f'did not grant:\n  ' + '\n  '.join(bad))


def build(arch, out=None, src=TREE, extra=()):
    out = out or os.path.join(BUILD, arch)
    t0 = time.time()
    configure(arch, out, src, extra)
    targets = [os.path.basename(ARCHES[arch]['image'])]
    # Modules such as ext4 call folio_maybe_dma_pinned(): building them
    # proves that everything the inline needs is exported.
    if read_config(os.path.join(out, '.config')).get('CONFIG_MODULES') == 'y':
        targets.append('modules')
    kmake(arch, out, *targets, src=src)
    dt = time.time() - t0
    log(f'{arch}: kernel built in {dt:.0f} s ({out})')
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f'build-{arch}.time'), 'w',
              encoding='utf-8') as f:
        f.write(f'{dt:.0f}\n')
    return os.path.join(out, ARCHES[arch]['image'])


def cmd_build(args):
    for arch in parse_arches(args):
        build(arch)


# ---------------------------------------------------------------- boots

def kvm_usable():
    # Opt-in only: nested KVM on the build machines fails with "emulation
    # failure" on cmpxchg16b, and TCG keeps timings comparable anyway.
    return os.access('/dev/kvm', os.R_OK | os.W_OK) and \
        os.environ.get('PP_KVM') == '1'


def boot(arch, kernel, cmdline, logfile, timeout=None, initrd=None,
         extra_qemu=()):
    """Boot a kernel, capture its console; return (log text, status)."""
    a = ARCHES[arch]
    timeout = timeout or BOOT_TIMEOUT.get(arch, 900)
    cmd = list(a['qemu']) + ['-nodefaults', '-m', '1024', '-no-reboot',
                             '-nographic', '-serial', 'stdio',
                             '-kernel', kernel,
                             '-append', f'console={a["console"]} '
                             f'panic=-1 {cmdline}']
    if a['kvm'] and kvm_usable():
        cmd += ['-accel', 'kvm', '-cpu', 'host']
    if initrd:
        cmd += ['-initrd', initrd]
    cmd += list(extra_qemu)
    with open(logfile + '.cmd', 'w', encoding='utf-8') as f:
        f.write(' '.join(shlex.quote(c) for c in cmd) + '\n')
    t0 = time.time()
    status = 'ok'
    with open(logfile, 'w', encoding='utf-8', errors='replace') as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            status = f'timeout after {timeout} s'
    with open(logfile, encoding='utf-8', errors='replace') as f:
        text = f.read()
    if status == 'ok' and proc.returncode not in (0,):
        status = f'qemu exited with {proc.returncode}'
    return text, status, time.time() - t0


def splats(text):
    return [ln for ln in text.splitlines() if SPLAT_RE.search(ln)]


# The first line of a page_pin=debug report.  Every boot must print exactly
# the reports its tests provoke on purpose: one per KUnit debug case, one
# per page that page_pin_test leaks.  Any other report is a false one.
REPORT_RE = re.compile(r'page_pin: pfn 0x[0-9a-f]+: ')
KUNIT_DEBUG_REPORTS = 5
SELFTEST_LEAK_PAGES = 4


def check_reports(text, expected, problems):
    found = [ln for ln in text.splitlines() if REPORT_RE.search(ln)]
    if len(found) != expected:
        problems.append(f'{len(found)} page_pin=debug report(s), expected '
                        f'{expected}: ' + ' | '.join(found[:6]))
    return len(found)


def judge_boot(name, text, problems, counts):
    """A boot with problems (or any kernel splat) counts as one failure,
    shown with its last console lines."""
    spl = splats(text)
    if spl:
        problems.append(f'{len(spl)} kernel splat line(s)')
    if problems:
        counts['failed'] += 1
        counts['failures'].append(f'{name}: ' + '; '.join(problems))
        tail = '\n'.join(text.splitlines()[-40:])
        print(f'---- {name}: {"; ".join(problems)}; last console lines:\n'
              f'{tail}\n---- splats:\n' + '\n'.join(spl[:20]) + '\n----')


def kunit_parse(logfile, jsonfile):
    parser = os.path.join(TREE, 'tools/testing/kunit/kunit.py')
    res = subprocess.run([sys.executable, parser, 'parse',
                          f'--json={jsonfile}', logfile],
                         capture_output=True, text=True)
    return res


def count_cases(group, counts):
    for case in group.get('test_cases', []):
        st = case['status']
        key = {'PASS': 'passed', 'SKIP': 'skipped'}.get(st, 'failed')
        counts[key] += 1
        if key == 'failed':
            counts['failures'].append(f'{group["name"]}.{case["name"]}')
    for sub in group.get('sub_groups', []):
        count_cases(sub, counts)


# Under panic_on_warn=1 the debug cases that provoke reports must skip
# (each report ends in check_panic_on_warn()), and no report may appear.
PANIC_SKIP = '# SKIP provokes reports, and panic_on_warn is set'
PANIC_SKIPS = 5


def run_kunit(arch, kernel, mode, extra_cmdline='', label=None):
    os.makedirs(RESULTS, exist_ok=True)
    name = f'kunit-{arch}-{label or mode}'
    logfile = os.path.join(RESULTS, name + '.log')
    cmdline = f'page_pin={mode} kunit_shutdown=reboot {extra_cmdline}'
    log(f'{name}: booting ({cmdline.strip()})')
    text, status, dt = boot(arch, kernel, cmdline, logfile)
    counts = {'passed': 0, 'failed': 0, 'skipped': 0, 'failures': []}
    jsonfile = os.path.join(RESULTS, name + '.json')
    res = kunit_parse(logfile, jsonfile)
    parsed_ok = os.path.exists(jsonfile) and os.path.getsize(jsonfile) > 0
    if parsed_ok:
        with open(jsonfile, encoding='utf-8') as f:
            count_cases(json.load(f), counts)
    problems = []
    if status != 'ok':
        problems.append(status)
    if not parsed_ok or counts['passed'] + counts['failed'] + \
            counts['skipped'] == 0:
        problems.append('no KUnit results parsed')
        sys.stdout.write(res.stdout[-2000:])
    panic_on_warn = 'panic_on_warn=1' in extra_cmdline
    check_reports(text, KUNIT_DEBUG_REPORTS if mode == 'debug' and
                  not panic_on_warn else 0, problems)
    if panic_on_warn and text.count(PANIC_SKIP) != PANIC_SKIPS:
        problems.append(f'{text.count(PANIC_SKIP)} cases skipped for '
                        f'panic_on_warn, expected {PANIC_SKIPS}')
    judge_boot(name, text, problems, counts)
    # Keep the lines that show what the feature said at boot.
    boot_lines = [ln for ln in text.splitlines()
                  if 'page_pin' in ln and 'Kernel command line' not in ln
                  or 'page_ext' in ln]
    log(f'{name}: {counts["passed"]} passed, {counts["failed"]} failed, '
        f'{counts["skipped"]} skipped in {dt:.0f} s')
    return {'arch': arch, 'mode': label or mode, 'suite': 'kunit',
            'passed': counts['passed'], 'failed': counts['failed'],
            'skipped': counts['skipped'], 'failures': counts['failures'],
            'seconds': round(dt), 'boot_lines': boot_lines[:8]}


def write_table(rows, name='results'):
    path = os.path.join(RESULTS, f'{name}.md')
    with open(path, 'w', encoding='utf-8') as f:
        f.write('| arch | page_pin= | suite | passed | failed | skipped '
                '| seconds |\n|---|---|---|---|---|---|---|\n')
        for r in rows:
            f.write(f'| {r["arch"]} | {r["mode"]} | {r["suite"]} | '
                    f'{r["passed"]} | {r["failed"]} | {r["skipped"]} | '
                    f'{r["seconds"]} |\n')
    with open(os.path.join(RESULTS, f'{name}.json'), 'w',
              encoding='utf-8') as f:
        json.dump(rows, f, indent=1)
    return path


BASE_TREE = os.path.join(BUILD, 'base')
COCCI = os.path.join(ROOT, 'tools/testing/page_pin/cocci')


def ensure_base_tree():
    """A pristine checkout of the base in build/base, for the Coccinelle
    runs and the unpatched-base kernels."""
    if not os.path.exists(os.path.join(BASE_TREE, 'Makefile')):
        shutil.rmtree(BASE_TREE, ignore_errors=True)
        git('worktree', 'prune')
        git('worktree', 'add', '-q', '--detach', BASE_TREE, 'base')
    return BASE_TREE


def tap_row(suite, text, seconds):
    """Count a TAP stream's own "ok"/"not ok" lines."""
    passed = len(re.findall(r'^ok \d+', text, re.M))
    failures = re.findall(r'^not ok \d+ (.*)$', text, re.M)
    return {'arch': '-', 'mode': '-', 'suite': suite, 'passed': passed,
            'failed': len(failures), 'skipped': 0,
            'failures': failures, 'seconds': round(seconds)}


def run_cocci_checks():
    rows = []
    t0 = time.time()
    res = subprocess.run(['bash', os.path.join(COCCI, 'test_corpus.sh')],
                         capture_output=True, text=True)
    row = tap_row('cocci-corpus', res.stdout, time.time() - t0)
    if res.returncode and not row['failed']:
        row['failed'] = 1
        row['failures'].append(f'test_corpus.sh exited {res.returncode}: '
                               f'{res.stderr.strip()[-500:]}')
    rows.append(row)
    log(f'cocci-corpus: {row["passed"]} passed, {row["failed"]} failed')

    # Re-running the script on the base must reproduce the committed
    # driver conversions exactly.
    t0 = time.time()
    base = ensure_base_tree()
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


# ---------------------------------------------------------------- selftests

SELFTESTS = os.path.join(BUILD, 'selftests')
# The gup part of run_vmtests.sh, plus the COW and long-term pin suites.
UPSTREAM_TESTS = ['gup_test -u', 'gup_test -a',
                  'gup_test -ct -F 0x1 0 19 0x1000', 'cow', 'gup_longterm']


def gup_matrix(arch):
    """run_vmtests.sh's run_gup_matrix, on 16 MiB: for make check-full."""
    huge = ['-t', '-T'] + ([] if arch == 'm68k' else ['-H'])
    return [f'gup_test -m 16 {h} {t} {w} {sh}{n}'
            for h in huge for t in ('-u', '-U', '-a', '-b', '-L')
            for w in ('-w', '-W') for sh in ('-S ', '')
            for n in ('-n 1', '-n 512', '-n 123')]


UPSTREAM_SOURCES = {
    'gup_test': ['gup_test.c', 'vm_util.c'],
    'cow': ['cow.c', 'vm_util.c', 'thp_settings.c'],
    'gup_longterm': ['gup_longterm.c', 'vm_util.c'],
}


def user_cc(arch):
    return ARCHES[arch]['cross'] + 'gcc'


def build_userspace(arch):
    """Static user-space binaries and the initramfs for one arch."""
    a = ARCHES[arch]
    out = os.path.join(SELFTESTS, a['karch'] if arch.startswith('x86')
                       else arch)
    stamp = os.path.join(out, 'initramfs.cpio')
    hdr = os.path.join(out, 'usr')
    os.makedirs(out, exist_ok=True)
    if not os.path.exists(os.path.join(hdr, 'include', 'linux', 'mman.h')):
        sh(['make', '-s', '-C', TREE, f'O={out}/hdr-build',
            f'ARCH={a["karch"]}', f'INSTALL_HDR_PATH={hdr}',
            'headers_install'], env=make_env())
    cc = user_cc(arch)
    base = ensure_base_tree()
    mmdir = os.path.join(base, 'tools/testing/selftests/mm')
    with open(os.path.join(out, 'local_config.h'), 'w',
              encoding='utf-8') as f:
        f.write('/* no liburing in the static cross builds */\n')
    cflags = ['-static', '-O2', '-w', f'-I{out}', f'-I{hdr}/include',
              f'-I{base}/tools/testing/selftests', f'-I{base}', f'-I{mmdir}']
    progs = {'init': [os.path.join(ROOT, 'tools/testing/page_pin/init.c')],
             'page_pin_test': [os.path.join(
                 ROOT, 'tools/testing/selftests/mm/page_pin_test.c')],
             'reclaim': [os.path.join(ROOT, 'tools/testing/page_pin/'
                                      'reclaim.c')]}
    for name, srcs in UPSTREAM_SOURCES.items():
        progs[name] = [os.path.join(mmdir, s) for s in srcs]
    for name, srcs in progs.items():
        binary = os.path.join(out, name)
        if os.path.exists(binary) and all(
                os.path.getmtime(binary) > os.path.getmtime(s) for s in srcs):
            continue
        # Compile in the source directory with relative names, as the
        # selftests Makefile does: gup_longterm builds a local file name
        # from __FILE__.
        srcdir = os.path.dirname(srcs[0])
        sh([cc] + cflags + ['-o', binary] +
           [os.path.relpath(s, srcdir) for s in srcs] + ['-lpthread', '-lm'],
           cwd=srcdir)
    gen = os.path.join(SELFTESTS, 'gen_init_cpio')
    if not os.path.exists(gen):
        sh(['gcc', '-O2', '-o', gen,
            os.path.join(TREE, 'usr/gen_init_cpio.c')])
    return out


def make_initramfs(out, name, commands):
    listfile = os.path.join(out, f'{name}.list')
    runlist = os.path.join(out, f'{name}.run')
    with open(runlist, 'w', encoding='utf-8') as f:
        f.write(''.join(c + '\n' for c in commands))
    progs = sorted({c.split()[0].lstrip('@') for c in commands})
    with open(listfile, 'w', encoding='utf-8') as f:
        f.write('dir /dev 0755 0 0\n'
                'nod /dev/console 0600 0 0 c 5 1\n'
                'dir /proc 0755 0 0\ndir /sys 0755 0 0\n'
                'dir /tmp 01777 0 0\ndir /tests 0755 0 0\n'
                f'file /init {out}/init 0755 0 0\n'
                f'file /tests/run.list {runlist} 0644 0 0\n')
        for prog in progs:
            f.write(f'file /tests/{prog} {out}/{prog} 0755 0 0\n')
    cpio = os.path.join(out, f'{name}.cpio')
    with open(cpio, 'wb') as f:
        sh([os.path.join(SELFTESTS, 'gen_init_cpio'), listfile], stdout=f)
    return cpio


RESULT_RE = re.compile(r'^(not )?ok (\d+)\s*([^#]*?)\s*(#\s*(\w+).*)?$')
TOTALS_RE = re.compile(r'^# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) '
                       r'xpass:(\d+) skip:(\d+) error:(\d+)')


def parse_selftest_log(text):
    """Read the kselftest TAP that /init relays.

    kunit.py's KTAP parser rejects kselftest's unnamed "ok N # SKIP" lines,
    so each program is judged by kselftest's own "# Totals:" line and its
    exit status (printed by /init as "ok N prog" / "not ok N prog").  The
    per-case results, keyed by program, TAP number and the preceding
    "[RUN]" description, are kept for the comparison with the base.
    Returns (counts, cases).
    """
    counts = {'passed': 0, 'failed': 0, 'skipped': 0, 'failures': []}
    cases = {}
    block, desc = [], ''
    for line in text.splitlines():
        if line.startswith('    '):
            block.append(line[4:])
            continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        prog, prog_ok = m.group(3), not m.group(1)
        totals = None
        for sub in block:
            t = TOTALS_RE.match(sub)
            if t:
                totals = [int(x) for x in t.groups()]
            if '[RUN]' in sub or '#  RUN ' in sub:
                desc = sub.split('RUN', 1)[1].strip(' ]')
            r = RESULT_RE.match(sub)
            if r:
                status = 'FAIL' if r.group(1) else (
                    'SKIP' if (r.group(5) or '').upper() == 'SKIP' else 'PASS')
                name = r.group(3) or desc
                cases[f'{prog} #{r.group(2)} {name}'] = status
                if status == 'FAIL':
                    counts['failures'].append(f'{prog} #{r.group(2)} {name}')
        block, desc = [], ''
        if totals:
            pas, fail, xfail, xpass, skip, err = totals
            counts['passed'] += pas + xfail
            counts['failed'] += fail + xpass + err
            counts['skipped'] += skip
            if not prog_ok and fail + xpass + err == 0:
                counts['failed'] += 1
                counts['failures'].append(f'{prog}: {line}')
        elif prog_ok:
            counts['skipped' if 'SKIP' in line else 'passed'] += 1
        else:
            counts['failed'] += 1
            counts['failures'].append(f'{prog}: {line}')
    return counts, cases


def run_selftests(arch, kernel, mode, commands, label):
    out = build_userspace(arch)
    cpio = make_initramfs(out, label, commands)
    name = f'selftest-{arch}-{label}'
    logfile = os.path.join(RESULTS, name + '.log')
    cmdline = f'kunit.enable=0 {ARCHES[arch].get("cmdline", "")}' + (
        f' page_pin={mode}' if mode != 'base' else '')
    log(f'{name}: booting ({cmdline})')
    text, status, dt = boot(arch, kernel, cmdline, logfile, initrd=cpio)
    counts, cases = parse_selftest_log(text)
    problems = []
    if status != 'ok':
        problems.append(status)
    if '# page_pin selftests done' not in text:
        problems.append('the run did not finish')
    if not cases:
        problems.append('no TAP results parsed')
    check_reports(text, SELFTEST_LEAK_PAGES if mode == 'debug' and
                  'page_pin_test' in commands else 0, problems)
    judge_boot(name, text, problems, counts)
    with open(os.path.join(RESULTS, name + '.json'), 'w',
              encoding='utf-8') as f:
        json.dump(cases, f, indent=1, sort_keys=True)
    log(f'{name}: {counts["passed"]} passed, {counts["failed"]} failed, '
        f'{counts["skipped"]} skipped in {dt:.0f} s')
    return {'arch': arch, 'mode': mode, 'suite': 'selftests',
            'passed': counts['passed'], 'failed': counts['failed'],
            'skipped': counts['skipped'], 'failures': counts['failures'],
            'seconds': round(dt)}, cases


def compare_with_base(arch, base_cases, runs):
    """Per-test diff of the upstream selftests: base vs patched."""
    rows, new_failures = [], []
    names = sorted(set(base_cases) | {n for c in runs.values() for n in c})
    for name in names:
        if name.startswith('page_pin_test'):
            continue
        b = base_cases.get(name, '-')
        vals = {m: c.get(name, '-') for m, c in runs.items()}
        if any(v != b for v in vals.values()):
            rows.append((name, b, vals))
        for m, v in vals.items():
            if v in ('FAIL', '-') and b in ('PASS', 'SKIP'):
                new_failures.append(f'{arch} page_pin={m}: {name} '
                                    f'({b} on base, {v} patched)')
    path = os.path.join(RESULTS, f'selftest-diff-{arch}.md')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(f'{arch}: {len(base_cases)} upstream cases on base; '
                f'{len(rows)} differ; {len(new_failures)} new failures\n')
        for name, b, vals in rows:
            f.write(f'- {name}: base {b}, ' + ', '.join(
                f'{m} {v}' for m, v in vals.items()) + '\n')
    ok = not new_failures
    return {'arch': arch, 'mode': 'vs base', 'suite': 'upstream-diff',
            'passed': int(ok), 'failed': int(not ok), 'skipped': 0,
            'failures': new_failures, 'seconds': 0}


def base_dir(arch):
    """build/<arch>-base; without its page_pin options x86_64-pext is the
    x86_64 config, so it shares x86_64's base kernel."""
    return os.path.join(BUILD, f'{arch.removesuffix("-pext")}-base')


def build_base_kernel(arch, out=None, extra=()):
    """The unpatched base with the same fragments, minus page_pin."""
    out = out or base_dir(arch)
    base = ensure_base_tree()
    frags = []
    for frag in fragments(arch) + [os.path.join(TREE, e) for e in extra]:
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
    res = subprocess.run([os.path.join(base, 'scripts/kconfig/merge_config.sh'),
                          '-O', out] + frags, cwd=base, env=env,
                         capture_output=True, text=True)
    if res.returncode:
        die(f'{arch}-base: merge_config.sh failed\n{res.stderr[-2000:]}')
    kmake(arch, out, os.path.basename(a['image']), src=base)
    log(f'{arch}: base kernel built in {time.time() - t0:.0f} s')
    return os.path.join(out, a['image'])


def bad_option_boot(arch, kernel):
    """page_pin=banana: a warning naming the value, tracking stays off."""
    out = build_userspace(arch)
    cpio = make_initramfs(out, 'empty', [])
    name = f'bootopt-{arch}'
    logfile = os.path.join(RESULTS, name + '.log')
    text, status, dt = boot(arch, kernel, 'kunit.enable=0 page_pin=banana',
                            logfile, initrd=cpio)
    want = ['page_pin: ignoring malformed page_pin=banana (expected on, off '
            'or debug), keeping off', 'page_pin: tracking off,']
    missing = [w for w in want if w not in text]
    problems = missing + ([status] if status != 'ok' else []) + splats(text)
    log(f'{name}: {"ok" if not problems else problems}')
    return {'arch': arch, 'mode': 'banana', 'suite': 'boot option',
            'passed': int(not problems), 'failed': int(bool(problems)),
            'skipped': 0, 'failures': [f'{name}: {p}' for p in problems],
            'seconds': round(dt)}


def selftest_matrix(arch, kernel, with_base, full=False):
    rows, runs = [bad_option_boot(arch, kernel)], {}
    upstream = UPSTREAM_TESTS + (gup_matrix(arch) if full else [])
    for mode in MODES:
        row, cases = run_selftests(arch, kernel, mode,
                                   ['page_pin_test'] + upstream, mode)
        rows.append(row)
        runs[mode] = cases
    if with_base:
        base_kernel = build_base_kernel(arch)
        row, cases = run_selftests(arch, base_kernel, 'base', upstream,
                                   'base')
        rows.append(row)
        rows.append(compare_with_base(arch, cases, runs))
    return rows


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
    return {'arch': '-', 'mode': '-',
            'suite': 'page_ext->flags written atomically',
            'passed': int(not fails), 'failed': int(bool(fails)),
            'skipped': 0, 'failures': fails,
            'seconds': round(time.time() - t0)}


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
    ok = not added and rc == 0
    log(f'sparse {arch}: {len(objs)} objects, {len(added)} new warnings, '
        f'{len(uncompared)} not comparable')
    return {'arch': arch, 'mode': '-', 'suite': 'sparse (C=2)',
            'passed': int(ok), 'failed': int(not ok), 'skipped': 0,
            'failures': added or ([] if ok else [f'make C=2 exited {rc}']),
            'seconds': round(time.time() - t0)}


# The unpatched-base comparison runs in make check for these arches, and
# for all of them in make check-full.
BASE_IN_CHECK = ('x86_64',)


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
                f'CROSS_COMPILE={cross}', f'-j{os.cpu_count()}']
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


def cmd_check(args):
    full = '--full' in args
    args = [a for a in args if a != '--full']
    arches = parse_arches(args)
    t0 = time.time()
    cmd_tree()
    try:
        patches = make_series()
        rows = style_gates(patches) + [page_ext_flags_gate(),
                                       coherence_gate(patches),
                                       am_gate(patches)]
        # The bisect builds are x86_64 kernels: they come with that arch.
        if full and 'x86_64' in arches:
            if os.environ.get('PP_NO_BISECT') == '1':
                rows.append({'arch': 'x86_64', 'mode': '-',
                             'suite': 'bisect (PP_NO_BISECT=1)', 'passed': 0,
                             'failed': 0, 'skipped': 1, 'failures': [],
                             'seconds': 0})
            else:
                rows.append(bisect_gate(patches))
    except SeriesError as e:
        rows = [{'arch': '-', 'mode': '-', 'suite': 'make series',
                 'passed': 0, 'failed': 1, 'skipped': 0,
                 'failures': [str(e)], 'seconds': 0}]
    if os.environ.get('PP_NO_COCCI') != '1':
        rows += run_cocci_checks()
        rows.append(cocci_drivers_row())
    if full:
        rows.append(bare_gate())
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
        for mode in MODES:
            rows.append(run_kunit(arch, kernel, mode))
        if arch in BASE_IN_CHECK or full:
            rows.append(run_kunit(arch, kernel, 'debug', 'panic_on_warn=1',
                                  'debug+panic_on_warn'))
        if os.environ.get('PP_NO_SELFTESTS') != '1':
            rows += selftest_matrix(arch, kernel,
                                    full or arch in BASE_IN_CHECK, full)
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
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if failed else 0


# Kernels on which a GPL-incompatible module must still link against
# folio_maybe_dma_pinned(): one per backend.
MODLINK_ARCHES = ('x86_64', 'x86_64-pext')


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


def cmd_run(_args):
    """Boot x86_64 with page_pin=on, then off, and show the difference."""
    cmd_tree()
    kernel = build('x86_64')
    out = build_userspace('x86_64')
    cpio = make_initramfs(out, 'run', ['page_pin_test'])
    keep = re.compile(r'Linux version|Kernel command line|page_pin:|'
                      r'page_ext|reads as|^\s*(not )?ok \d+ (pin|global)|'
                      r'# (page_pin|Totals)')
    rc = 0
    for mode in ('on', 'off'):
        logfile = os.path.join(RESULTS, f'run-x86_64-{mode}.log')
        print(f'==== page_pin={mode} ====')
        text, status, _ = boot('x86_64', kernel,
                               f'page_pin={mode} kunit.enable=0 '
                               f'{ARCHES["x86_64"]["cmdline"]}', logfile,
                               initrd=cpio)
        for line in text.splitlines():
            if keep.search(line):
                print(re.sub(r'^\s*# \S+:\d+:\S+:', '    ', line))
        print(f'(console log: {os.path.relpath(logfile, ROOT)}; {status})')
        rc |= status != 'ok' or 'not ok' in text
    return 1 if rc else 0


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


# ---------------------------------------------------------------- the series

SERIES_OUT = os.path.join(BUILD, 'series')
SERIES_TREE = os.path.join(BUILD, 'series-tree')
AM_TREE = os.path.join(BUILD, 'series-am')


class SeriesError(Exception):
    """The series cannot be made or does not reproduce the tested tree."""


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


def readme_block(name):
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    m = re.search(f'<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->', text,
                  re.S)
    return m.group(1).strip() if m else f'(no {name} results in README.md)'


def cover_letter(path):
    """Fill format-patch's cover letter from patches/cover-letter."""
    with open(os.path.join(ROOT, 'patches', 'cover-letter'),
              encoding='utf-8') as f:
        subject, body = f.read().split('\n', 1)
    version = read_base()['version']
    body = body.replace('@BASE@', f'{read_base()["package"]} {version}')
    for name in ('bench', 'reclaim', 'results'):
        body = body.replace(f'@{name.upper()}@', readme_block(name))
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
    return {'arch': '-', 'mode': '-', 'suite': f'git am ({len(patches) - 1} '
            'patches onto the base)', 'passed': int(not fails),
            'failed': int(bool(fails)), 'skipped': 0, 'failures': fails,
            'seconds': round(time.time() - t0)}


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
    return {'arch': '-', 'mode': '-',
            'suite': f'series: symbols and page_pin= values exist at each '
                     f'patch ({len(commits)} patches)',
            'passed': int(not fails), 'failed': int(bool(fails)),
            'skipped': 0, 'failures': fails,
            'seconds': round(time.time() - t0)}


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
    return {'arch': 'x86_64', 'mode': '-',
            'suite': f'bisect: build after each patch ({built} builds)',
            'passed': int(not fails), 'failed': int(bool(fails)),
            'skipped': 0, 'failures': fails,
            'seconds': round(time.time() - t0)}


def read_text(path):
    """A file's text, or None if it does not exist."""
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as f:
        return f.read()


def put_block(text, name, body):
    """Replace what is between <!-- name:begin --> and <!-- name:end -->."""
    begin, end = f'<!-- {name}:begin -->', f'<!-- {name}:end -->'
    if body is None or begin not in text or end not in text:
        return text
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f'{head}{begin}\n{body}{end}{tail}'


def cmd_readme(_args):
    """Put the generated results tables into README.md."""
    body = read_text(os.path.join(RESULTS, 'results.md'))
    if body is None:
        die('no build/results/results.md; run "make check" first')
    base = read_text(os.path.join(RESULTS, 'base.txt')).strip()
    stamp = time.strftime('%Y-%m-%d', time.gmtime())
    readme = os.path.join(ROOT, 'README.md')
    text = read_text(readme)
    if '<!-- results:begin -->' not in text:
        die('README.md lacks the results markers')
    text = put_block(text, 'results', f'Generated by `make check` on {stamp}, '
                     f'base {base}, QEMU {qemu_version()}.\n\n{body}')
    full_md = os.path.join(RESULTS, 'results-full.md')
    full = read_text(full_md)
    if full is not None:
        day = time.strftime('%Y-%m-%d',
                            time.gmtime(os.path.getmtime(full_md)))
        text = put_block(text, 'full', f'`make check-full`, generated on '
                         f'{day}:\n\n{full}')
    bench_dir = os.path.join(BUILD, 'bench')
    bench = read_text(os.path.join(bench_dir, 'bench.md'))
    if bench is not None:
        for name, title in (
                ('layout', 'struct page and page->flags, read by compiling '
                 'against each build directory'),
                ('memory', 'page_ext memory, from the bench kernels\' boot '
                 'logs ("allocated N bytes of page_ext")')):
            part = read_text(os.path.join(bench_dir, f'{name}.md'))
            if part is not None:
                bench += f'\n{title}:\n\n{part}'
        text = put_block(text, 'bench', bench)
        os.makedirs(os.path.join(ROOT, 'results'), exist_ok=True)
        shutil.copy(os.path.join(bench_dir, 'bench.png'),
                    os.path.join(ROOT, 'results', 'bench.png'))
    text = put_block(text, 'reclaim',
                     read_text(os.path.join(bench_dir, 'reclaim.md')))
    with open(readme, 'w', encoding='utf-8') as f:
        f.write(text)
    log('README.md results tables updated')


def qemu_version():
    res = subprocess.run(['qemu-system-x86_64', '--version'],
                         capture_output=True, text=True)
    return res.stdout.split('\n')[0].replace('QEMU emulator version ', '')


COMMANDS = {
    'tree': cmd_tree, 'build': cmd_build, 'check': cmd_check, 'run': cmd_run,
    'cocci-drivers': cmd_cocci_drivers, 'cocci-report': cmd_cocci_report,
    'work': cmd_work, 'export': cmd_export, 'readme': cmd_readme,
    'series': cmd_series,
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
