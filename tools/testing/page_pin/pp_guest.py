# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: qEMU guests: user-space test programs, initramfs images
# and boots.
"""QEMU guests."""

import os
import shlex
import subprocess
import time

from pp_common import BUILD, ROOT, TREE, progress, sh
from pp_arches import ARCHES, BOOT_TIMEOUT
from pp_tree import ensure_base_tree
from pp_kernel import make_env


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
            with progress(os.path.basename(logfile).removesuffix('.log'),
                          announce=False):
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


SELFTESTS = os.path.join(BUILD, 'selftests')
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
    hdr = os.path.join(out, 'usr')
    os.makedirs(out, exist_ok=True)
    if not os.path.exists(os.path.join(hdr, 'include', 'linux', 'mman.h')):
        sh(['make', '-s', '-C', TREE, f'O={out}/hdr-build',
            f'ARCH={a["karch"]}', f'INSTALL_HDR_PATH={hdr}',
            'headers_install'], env=make_env())
    cc = user_cc(arch)
    base = ensure_base_tree()
    mmdir = os.path.join(base, 'tools/testing/selftests/mm')
    # Debian's liburing-dev has a static liburing.a for the build machine
    # only: the x86 cow and gup_longterm get their io_uring fixed-buffer
    # cases, the cross builds go without.
    uring = arch.startswith('x86') and os.path.exists(
        '/usr/lib/x86_64-linux-gnu/liburing.a')
    config = ('#define LOCAL_CONFIG_HAVE_LIBURING 1\n' if uring else
              '/* no liburing in the static cross builds */\n')
    cfg = os.path.join(out, 'local_config.h')
    if not os.path.exists(cfg) or open(cfg, encoding='utf-8').read() != config:
        with open(cfg, 'w', encoding='utf-8') as f:
            f.write(config)
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
                os.path.getmtime(binary) > os.path.getmtime(s)
                for s in srcs + [cfg]):
            continue
        libs = ['-luring'] if uring and name in ('cow', 'gup_longterm') \
            else []
        # Compile in the source directory with relative names, as the
        # selftests Makefile does: gup_longterm builds a local file name
        # from __FILE__.
        srcdir = os.path.dirname(srcs[0])
        sh([cc] + cflags + ['-o', binary] +
           [os.path.relpath(s, srcdir) for s in srcs] + libs +
           ['-lpthread', '-lm'], cwd=srcdir)
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


def qemu_version():
    res = subprocess.run(['qemu-system-x86_64', '--version'],
                         capture_output=True, text=True)
    return res.stdout.split('\n')[0].replace('QEMU emulator version ', '')
