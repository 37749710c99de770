# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: per-arch data: toolchains, QEMU machines, consoles and
# which suites run where.
"""Per-arch data."""

import sys


ARCHES = {
    'x86_64': {
        'karch': 'x86', 'cross': '', 'image': 'arch/x86/boot/bzImage',
        'qemu': ['qemu-system-x86_64', '-bios', 'qboot.rom', '-smp', '2'],
        'console': 'ttyS0', 'kvm': True,
        'cmdline': 'hugepages=16 numa=fake=2', 'numa': True,
        'backend': 'page-flag', 'thp': True, 'upstream_skips': 1,
        'cold_build_min': 6,
    },
    'arm': {
        'karch': 'arm', 'cross': 'arm-linux-gnueabi-',
        'image': 'arch/arm/boot/zImage',
        'qemu': ['qemu-system-arm', '-machine', 'virt,highmem=off',
                 '-cpu', 'cortex-a15', '-smp', '2'],
        'console': 'ttyAMA0', 'kvm': False, 'cmdline': 'hugepages=16',
        'backend': 'page_ext', 'thp': True, 'upstream_skips': 1,
        'cold_build_min': 6,
    },
    'm68k': {
        'karch': 'm68k', 'cross': 'm68k-linux-gnu-', 'image': 'vmlinux',
        'qemu': ['qemu-system-m68k', '-machine', 'virt'],
        'console': 'ttyGF0', 'kvm': False,
        'backend': 'page_ext', 'thp': False, 'upstream_skips': 12,
        'swap': False,
        'cold_build_min': 4,
    },
}


# x86_64 with the page_ext backend forced: the 32-bit code path at x86 speed.
ARCHES['x86_64-pext'] = dict(ARCHES['x86_64'], backend='page_ext', extra=[
    'kernel/configs/page_pin_force_page_ext.config'])
# What each key means:
#   backend: the backend the boot must name ("tracking on, <backend>
#            backend"); 64-bit uses the page flag, 32-bit page_ext.
#   thp: CONFIG_TRANSPARENT_HUGEPAGE (and hugetlb) in the test config.
#   swap: swap on zram in the guest (default True).
#   numa: two (emulated) NUMA nodes, for move_pages() (default False).
#   upstream_skips: the skips the upstream selftests may report, where no
#            unpatched base runs beside them: cow's "collapsing after fork()
#            (fully shared)" case everywhere; on m68k also its 11 "swapped
#            out base page" cases (no swap on the virt machine).
#   cold_build_min: a kernel build with an empty ccache on 2 cores, in
#            minutes (measured; printed as the expected time).

DEFAULT_ARCHES = ['x86_64', 'x86_64-pext', 'arm', 'm68k']
MODES = ['on', 'off', 'debug']
BOOT_TIMEOUT = {'x86_64': 600, 'arm': 900, 'm68k': 900}

# Skip budgets: a boot that skips more cases than its mode explains fails,
# so that a debugfs that did not mount (every pin.* case skips) or a
# page_pin=on boot with tracking off (the off row) cannot pass.
#   KUnit: 6 debug cases need page_pin=debug; with off, 4 more need
#   tracking; under panic_on_warn the 5 report-provoking cases skip; one
#   more case needs THP.
#   page_pin_test: debug_finds_leak needs debug; foll_get_never_marks needs
#   tracking; many_refs_anon_pageout needs swap; move_pages_marked_not_pinned
#   needs two NUMA nodes.
KUNIT_SKIPS = {'on': 6, 'off': 10, 'debug': 0, 'debug+panic_on_warn': 5}
PIN_TEST_SKIPS = {'on': 1, 'off': 2, 'debug': 0}


def pin_test_skip_budget(arch, mode):
    """How many page_pin_test cases may skip on arch with page_pin=mode."""
    # without zram: many_refs_anon_pageout (swap) and odirect_zram
    return (PIN_TEST_SKIPS[mode] +
            (0 if ARCHES[arch].get('swap', True) else 2) +
            (0 if ARCHES[arch].get('numa', False) else 1))


def kunit_skip_budget(arch, label):
    """How many KUnit cases may skip on arch in the boot named label."""
    return KUNIT_SKIPS[label] + (0 if ARCHES[arch]['thp'] else 1)


def parse_arches(names):
    names = names or DEFAULT_ARCHES
    for name in names:
        if name not in ARCHES:
            print(f'pp: unknown arch "{name}"; supported: '
                  f'{" ".join(ARCHES)}', file=sys.stderr)
            sys.exit(2)
    return names


# The unpatched-base comparison runs in make check for these arches, and
# for all of them in make check-full.
BASE_IN_CHECK = ('x86_64',)


# The patched tree is also built with CONFIG_PAGE_PIN=n on these: one
# per backend.
NOPIN_ARCHES = ('x86_64', 'arm')

# Kernels on which a GPL-incompatible module must still link against
# folio_maybe_dma_pinned(): one per backend.
MODLINK_ARCHES = ('x86_64', 'x86_64-pext')
