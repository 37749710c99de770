#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# page_pin benchmark: the cost of tracking on the pin path, in QEMU guests
# timed by instruction count (-icount shift=0,sleep=off), and the layout and
# memory figures.  Three kernels per arch, all without debugging options:
# patched (booted with page_pin=on and off), the unpatched base, and
# patched with CONFIG_PAGE_PIN_DEBUG (booted with page_pin=debug and on).  Usage: bench.py [ARCH...] (cost, layout and, with x86_64, the
# reclaim benefit), bench.py cost [ARCH...], bench.py reclaim,
# bench.py layout [ARCH...]
"""page_pin benchmark."""

import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from pp_common import BUILD, TREE, die, log, sh  # noqa: E402
from pp_arches import ARCHES, parse_arches  # noqa: E402
from pp_tree import cmd_tree, ensure_base_tree  # noqa: E402
from pp_kernel import (build, build_base_kernel, make_env,  # noqa: E402
                       read_config)
from pp_guest import (boot, build_userspace, make_initramfs,  # noqa: E402
                      qemu_version)
from pp_parser import splats  # noqa: E402

OUT = os.path.join(BUILD, 'bench')
BOOTS = 5
REPS = 21
BENCH_FRAG = ['kernel/configs/page_pin_bench.config']
DEBUG_FRAG = ['kernel/configs/page_pin_bench_debug.config']
# Static branches as production kernels have them (a patched nop, not a
# load and test of the key) where the arch has jump labels; m68k has none.
JUMP_LABEL_ARCHES = ('x86_64', 'arm')
JUMP_LABEL_FRAG = ['kernel/configs/page_pin_bench_jump_label.config']
# mode: (kernel, page_pin= value or None for the base)
MODES = {'on': ('patched', 'on'), 'off': ('patched', 'off'),
         'base': ('base', None), 'debug': ('debug', 'debug'),
         'dbgon': ('debug', 'on')}
# The reclaim benchmark runs on the x86_64 bench kernels.
RECLAIM_FRAG = ['kernel/configs/page_pin_reclaim.config']
TESTS = {
    # name: gup_test arguments (without -r)
    'pin_fast': '-a -T -m 32 -n 512',
    'pin_longterm': '-L -T -m 32 -n 512',
    'gup_fast': '-u -T -m 32 -n 512',
    'pin_fast_thp': '-a -t -m 32 -n 512',
}
# One vCPU: with -icount, QEMU 7.2 hangs an SMP arm guest at boot (seen
# with -smp 2 after "clk: Disabling unused clocks"), and the benchmarks
# are single-threaded anyway.  A later -smp overrides the arch's own.
ONE_CPU = ['-smp', '1']
TIME_RE = re.compile(r'(\w+_BENCHMARK): Time: get:(\d+) put:(\d+) us')


def tests_for(arch):
    return {k: v for k, v in TESTS.items()
            if ARCHES[arch]['thp'] or not k.endswith('_thp')}


def build_kernels(arch):
    frags = BENCH_FRAG + (RECLAIM_FRAG if arch == 'x86_64' else [])
    if arch in JUMP_LABEL_ARCHES:
        frags = frags + JUMP_LABEL_FRAG
    patched = build(arch, out=os.path.join(BUILD, f'bench-{arch}'),
                    extra=[os.path.join(TREE, f) for f in frags])
    base = build_base_kernel(arch, out=os.path.join(
        BUILD, f'bench-{arch}-base'), extra=frags)
    debug = build(arch, out=os.path.join(BUILD, f'bench-{arch}-debug'),
                  extra=[os.path.join(TREE, f)
                         for f in frags + DEBUG_FRAG])
    return {'patched': patched, 'base': base, 'debug': debug}


def run_boot(arch, kernel, mode, nboot, value):
    out = build_userspace(arch)
    cmds = [f'@gup_test {args} -r {REPS}'
            for args in tests_for(arch).values()]
    cpio = make_initramfs(out, 'bench', cmds)
    logfile = os.path.join(OUT, f'{arch}-{mode}-{nboot}.log')
    cmdline = 'kunit.enable=0' + (f' page_pin={value}' if value else '')
    text, status, dt = boot(arch, kernel, cmdline, logfile, initrd=cpio,
                            extra_qemu=['-icount', 'shift=0,sleep=off',
                                        '-rtc', 'clock=vm'] + ONE_CPU)
    if status != 'ok' or '# page_pin selftests done' not in text:
        die(f'bench {arch} {mode} boot {nboot}: {status}; see {logfile}')
    results = {}
    names = list(tests_for(arch))
    idx = -1
    for line in text.splitlines():
        if line.startswith('    TAP version'):
            idx += 1
        m = TIME_RE.search(line)
        if m and 0 <= idx < len(names):
            results.setdefault(names[idx], []).append(
                (int(m.group(2)), int(m.group(3))))
    log(f'bench {arch} {mode} boot {nboot}: {dt:.0f} s')
    return results


def summarize(samples):
    """Median and spread (min, max) of a list."""
    return statistics.median(samples), min(samples), max(samples)


def bench_arch(arch, rows):
    built = build_kernels(arch)
    data = {}
    for nboot in range(BOOTS):
        for mode, (kernel, value) in MODES.items():
            data[(mode, nboot)] = run_boot(arch, built[kernel], mode,
                                           nboot, value)
    for test in tests_for(arch):
        for kind in ('first', 'repin'):
            per_mode = {}
            for mode in MODES:
                vals = []
                for nboot in range(BOOTS):
                    times = data[(mode, nboot)].get(test, [])
                    if len(times) < REPS:
                        die(f'bench {arch} {mode} {test}: '
                            f'{len(times)} of {REPS} samples')
                    sel = times[:1] if kind == 'first' else times[1:]
                    vals.append(statistics.median(t[0] + t[1] for t in sel))
                per_mode[mode] = vals
            for num, den in (('on', 'off'), ('off', 'base'),
                             ('debug', 'on'), ('dbgon', 'on')):
                ratios = [a / b for a, b in zip(per_mode[num], per_mode[den])
                          if b]
                med, lo, hi = summarize(ratios)
                rows.append([arch, test, kind, f'{num}/{den}',
                             f'{med:.3f}', f'{lo:.3f}', f'{hi:.3f}',
                             ' '.join(str(round(v)) for v in per_mode[num]),
                             ' '.join(str(round(v)) for v in per_mode[den])])


PAGE_EXT_USERS = ('CONFIG_PAGE_OWNER', 'CONFIG_PAGE_IDLE_FLAG',
                  'CONFIG_PAGE_TABLE_CHECK', 'CONFIG_MEM_ALLOC_PROFILING')


def memory(arches):
    """build/bench/memory.md: page_ext bytes at boot, on/off/base, from the
    first bench boot's console log of each kernel."""
    lines = ['| arch | page_ext bytes, on | off | base | RAM (kB) | '
             'bytes per page | share of RAM | other page_ext users '
             '| debug | debug bytes per page |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for arch in arches:
        got, ram = {}, None
        for mode in ('on', 'off', 'base', 'debug'):
            with open(os.path.join(OUT, f'{arch}-{mode}-0.log'),
                      encoding='utf-8', errors='replace') as f:
                text = f.read()
            m = re.search(r'allocated (\d+) bytes of page_ext', text)
            got[mode] = int(m.group(1)) if m else 0
            m = re.search(r'Memory: \d+K/(\d+)K available', text)
            ram = int(m.group(1)) if m else ram
        cfg = read_config(os.path.join(BUILD, f'bench-{arch}', '.config'))
        others = [o[7:] for o in PAGE_EXT_USERS if cfg.get(o) == 'y']
        per_page = got['on'] / (ram // 4) if ram else 0
        lines.append(f'| {arch} | {got["on"]} | {got["off"]} | '
                     f'{got["base"]} | {ram} | {per_page:g} | '
                     f'{100 * got["on"] / (ram * 1024):.3f}% | '
                     f'{", ".join(others) or "none"} | {got["debug"]} | '
                     f'{got["debug"] / (ram // 4) if ram else 0:g} |')
    with open(os.path.join(OUT, 'memory.md'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))


# The benefit: anon memory shared by N processes under memory.reclaim.
RECLAIM_SHARERS = (256, 1100, 2000)
RECLAIM_MIB = 16
RECLAIM_DEADLINE = 120
RECLAIM_RE = re.compile(r'reclaim: sharers=(\d+) mib=(\d+) swapped_kb=(-?\d+) '
                        r'resident_kb=(-?\d+) seconds=([\d.]+) result=(\S+)')


def reclaim(arch='x86_64'):
    """build/bench/reclaim.tsv and reclaim.md: kB swapped out of 16 MiB
    shared by N processes, one boot per kernel and N, wall-clock timed."""
    built = build_kernels(arch)
    patched, base = built['patched'], built['base']
    out = build_userspace(arch)
    rows = []
    for sharers in RECLAIM_SHARERS:
        cpio = make_initramfs(out, f'reclaim-{sharers}', [
            f'reclaim {sharers} {RECLAIM_MIB} {RECLAIM_DEADLINE}'])
        for mode, kernel in (('on', patched), ('off', patched),
                             ('base', base)):
            logfile = os.path.join(OUT, f'reclaim-{arch}-{mode}-'
                                   f'{sharers}.log')
            cmdline = 'kunit.enable=0' + ('' if mode == 'base' else
                                          f' page_pin={mode}')
            text, status, dt = boot(arch, kernel, cmdline, logfile,
                                    initrd=cpio,
                                    timeout=RECLAIM_DEADLINE + 600)
            m = RECLAIM_RE.search(text)
            if status != 'ok' or not m or splats(text):
                die(f'reclaim {mode} {sharers}: {status}; see {logfile}')
            rows.append([arch, mode] + list(m.groups()))
            log(f'reclaim {arch} {mode} N={sharers}: '
                f'{m.group(3)} kB swapped, {m.group(5)} s, '
                f'{m.group(6)} (boot {dt:.0f} s)')
    write_reclaim(arch, rows)
    return rows


def generated():
    """The start of every table's caption."""
    day = time.strftime("%Y-%m-%d", time.gmtime())
    return f"Generated by `make bench` on {day}"


def write_tsv(name, header, rows):
    """build/bench/<name>: a header line (space-separated names) and rows."""
    path = os.path.join(OUT, name)
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\t'.join(header.split()) + '\n')
        for r in rows:
            f.write('\t'.join(str(x) for x in r) + '\n')
    return path


def read_tsv(name):
    with open(os.path.join(OUT, name), encoding='utf-8') as f:
        return [ln.rstrip('\n').split('\t') for ln in f][1:]


def write_reclaim(arch, rows):
    """reclaim.tsv and the README's reclaim table (reclaim.md)."""
    write_tsv('reclaim.tsv', 'arch kernel sharers mib swapped_kb '
              'resident_kb seconds result', rows)
    with open(os.path.join(OUT, 'reclaim.md'), 'w', encoding='utf-8') as f:
        f.write(f'{generated()}; {arch} guest, QEMU '
                f'{qemu_version()} TCG (wall-clock time, no -icount), '
                f'non-debug kernels, swap on zram, cgroup v2 memcg. One '
                f'process maps {RECLAIM_MIB} MiB of anonymous memory (small '
                f'folios), forks N-1 children that keep it mapped, and '
                f'writes {RECLAIM_MIB + 8}M to `memory.reclaim`, capped at '
                f'{RECLAIM_DEADLINE} s. "swapped" and "resident" are the '
                f'shared mapping\'s Swap: and Rss: in `/proc/self/smaps`.'
                f'\n\n| N sharers | kernel | swapped (kB) | resident (kB) '
                f'| seconds | memory.reclaim |\n|---|---|---|---|---|---|\n')
        for _, mode, sharers, _, swapped, resident, secs, result in rows:
            kernel = 'base' if mode == 'base' else f'page_pin={mode}'
            f.write(f'| {sharers} | {kernel} | {swapped} | {resident} | '
                    f'{secs} | {result} |\n')


LAYOUT_C = r'''
#include <linux/mm_types.h>
#include <linux/page-flags-layout.h>
int pp_sizeof_page = sizeof(struct page);
int pp_nr_pageflags = NR_PAGEFLAGS;
/* LRU_REFS_WIDTH uses min(), not a constant expression: its parts. */
int pp_lru_refs_max = __LRU_REFS_WIDTH;
int pp_zones_width = ZONES_WIDTH;
int pp_lru_gen_width = LRU_GEN_WIDTH;
int pp_sections_width = SECTIONS_WIDTH;
int pp_nodes_width = NODES_WIDTH;
int pp_kasan_tag_width = KASAN_TAG_WIDTH;
int pp_bits_per_long = BITS_PER_LONG;
#ifdef LAST_CPUPID_NOT_IN_PAGE_FLAGS
int pp_last_cpupid_in_flags = 0;
#else
int pp_last_cpupid_in_flags = 1;
#endif
int pp_last_cpupid_width = LAST_CPUPID_WIDTH;
'''


def layout_of(objdir):
    """Compile LAYOUT_C with the flags kbuild used for mm/page_alloc.o."""
    with open(os.path.join(objdir, 'mm/.page_alloc.o.cmd'),
              encoding='utf-8') as f:
        cmd = f.readline().split(':=', 1)[1].strip()
    src = os.path.join(OUT, 'layout.c')
    with open(src, 'w', encoding='utf-8') as f:
        f.write(LAYOUT_C)
    cmd = re.sub(r'-Wp,-MMD,\S+', '', cmd)
    cmd = re.sub(r' -c -o \S+ \S+$', f' -S -o - {src}', cmd)
    asm = subprocess.run(cmd, shell=True, cwd=objdir, capture_output=True,
                         text=True, check=True).stdout
    vals = {}
    for name, kind, val in re.findall(
            r'^pp_(\w+):\s*\n\s*\.(long|word|4byte|zero|space)\s+(-?\d+)',
            asm, re.M):
        vals[name] = 0 if kind in ("zero", "space") else int(val)
    if 'bits_per_long' in vals:
        vals['lru_refs_width'] = min(vals['lru_refs_max'], vals[
            'bits_per_long'] - vals['nr_pageflags'] - vals['zones_width'] -
            vals['lru_gen_width'] - vals['sections_width'] -
            vals['nodes_width'] - vals['kasan_tag_width'] -
            vals['last_cpupid_width'])
    return vals


def debian_layout(rows):
    """NR_PAGEFLAGS, LAST_CPUPID and LRU_REFS_WIDTH on Debian's amd64
    config, base vs patched."""
    cfg = '/usr/src/linux-config-6.12/config.amd64_none_amd64.xz'
    if not os.path.exists(cfg):
        die(f'{cfg} missing: apt-get install linux-config-6.12')
    for name, src in (('base', ensure_base_tree()), ('patched', TREE)):
        objdir = os.path.join(BUILD, f'debian-amd64-{name}')
        os.makedirs(objdir, exist_ok=True)
        with open(os.path.join(objdir, '.config'), 'wb') as f:
            f.write(subprocess.run(['xz', '-dc', cfg], capture_output=True,
                                   check=True).stdout)
            f.write(b'CONFIG_SYSTEM_TRUSTED_KEYS=""\n'
                    b'CONFIG_SYSTEM_REVOCATION_KEYS=""\n'
                    b'# CONFIG_DEBUG_INFO_BTF is not set\n')
            if name == 'patched':
                f.write(b'CONFIG_PAGE_PIN=y\n')
        make = ['make', '-s', '-C', src, f'O={objdir}', 'ARCH=x86',
                'CC=ccache gcc', f'-j{os.cpu_count()}']
        sh(make + ['olddefconfig'], env=make_env())
        sh(make + ['prepare', 'mm/page_alloc.o'], env=make_env())
        vals = layout_of(objdir)
        rows.append(['debian-amd64', name, vals])
    return rows


def layout(arches):
    """build/bench/layout.md: struct page and page->flags, base vs patched."""
    lines = ['| config | tree | sizeof(struct page) | NR_PAGEFLAGS | '
             'LAST_CPUPID in page->flags | LRU_REFS_WIDTH |',
             '|---|---|---|---|---|---|']
    keys = ('sizeof_page', 'nr_pageflags', 'last_cpupid_in_flags',
            'lru_refs_width')
    for arch in arches:
        for tree, objdir in (('base', f'bench-{arch}-base'),
                             ('patched', f'bench-{arch}')):
            v = layout_of(os.path.join(BUILD, objdir))
            lines.append(f'| {arch} bench config | {tree} | ' +
                         ' | '.join(str(v[k]) for k in keys) + ' |')
    for _, tree, v in debian_layout([]):
        lines.append(f'| Debian amd64 (config.amd64_none_amd64) | {tree} | ' +
                     ' | '.join(str(v[k]) for k in keys) + ' |')
    with open(os.path.join(OUT, 'layout.md'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))


def main(argv):
    if argv[:1] == ['reclaim']:
        os.makedirs(OUT, exist_ok=True)
        cmd_tree()
        reclaim()
        return 0
    if argv[:1] == ['plot']:
        # Redraw the plots and tables from the last run's TSVs.
        plot(read_tsv('bench.tsv'))
        table(read_tsv('bench.tsv'))
        if os.path.exists(os.path.join(OUT, 'reclaim.tsv')):
            write_reclaim('x86_64', read_tsv('reclaim.tsv'))
        return 0
    cost_only = argv[:1] == ['cost']
    if cost_only:
        argv = argv[1:]
    if argv[:1] == ['layout']:
        os.makedirs(OUT, exist_ok=True)
        cmd_tree()
        layout(parse_arches(argv[1:] or ['x86_64', 'm68k', 'arm']))
        return 0
    arches = parse_arches(argv or ['x86_64', 'arm', 'm68k'])
    os.makedirs(OUT, exist_ok=True)
    cmd_tree()
    t0 = time.time()
    rows = []
    for arch in arches:
        bench_arch(arch, rows)
    layout(arches)
    memory(arches)
    if 'x86_64' in arches and not cost_only:
        reclaim()
    tsv = write_tsv('bench.tsv', 'arch test kind ratio median min max '
                    'num_us_per_boot den_us_per_boot', rows)
    plot(rows)
    table(rows)
    log(f'bench: {len(rows)} ratios in {time.time() - t0:.0f} s: {tsv}')
    return 0


def table(rows):
    """build/bench/bench.md: the README's cost table, from the TSV rows."""
    with open(os.path.join(OUT, 'bench.md'), 'w', encoding='utf-8') as f:
        f.write(f'{generated()}; QEMU '
                f'{qemu_version()} TCG with `-icount shift=0,sleep=off '
                f'-rtc clock=vm` (guest time = executed instructions, so a '
                f'boot repeats exactly and TCG shows no cache effects); '
                f'non-debug kernels, one vCPU; {BOOTS} boots per kernel; '
                f'time = '
                f'get + put of `gup_test` on 32 MiB, 512 pages per call; '
                f'"first" = first pin of fresh memory, "repin" = median of '
                f'the next {REPS - 1} pins; '
                '"built-in" = a kernel with `CONFIG_PAGE_PIN_DEBUG=y` '
                'booted with `page_pin=on`, over the kernel without it; '
                '"debug" = that kernel booted with `page_pin=debug`, over '
                '`page_pin=on` without it.\n\n'
                '| arch | test | kind | on/off | off/base | built-in/on | '
                'debug/on | on (us) | off (us) | debug (us) |\n'
                '|---|---|---|---|---|---|---|---|---|---|\n')
        pairs = {}
        for arch, test, kind, ratio, med, lo, hi, num, den in rows:
            pairs.setdefault((arch, test, kind), {})[ratio] = (med, lo, hi,
                                                               num, den)
        for (arch, test, kind), r in pairs.items():
            on, off = r['on/off'], r['off/base']
            spread = (lambda x: x[0] if x[1] == x[2] else
                      f'{x[0]} ({x[1]}..{x[2]})')
            dbg, built = r.get('debug/on'), r.get('dbgon/on')
            f.write(f'| {arch} | {test} | {kind} | {spread(on)} | '
                    f'{spread(off)} | {spread(built) if built else "-"} | '
                    f'{spread(dbg) if dbg else "-"} | '
                    f'{on[3].split()[0]} | {on[4].split()[0]} | '
                    f'{dbg[3].split()[0] if dbg else "-"} |\n')


def plot(rows):
    """One PNG: on/off and off/base per arch, test and kind, with spread."""
    pairs = {}
    for arch, test, kind, ratio, med, lo, hi, *_ in rows:
        pairs.setdefault((arch, test, kind), {})[ratio] = (med, lo, hi)
    dat = os.path.join(OUT, 'ratios.dat')
    with open(dat, 'w', encoding='utf-8') as f:
        for (arch, test, kind), r in pairs.items():
            on, off = r['on/off'], r['off/base']
            f.write(f'"{arch} {test} {kind}" {" ".join(on)} '
                    f'{" ".join(off)}\n')
    gp = os.path.join(OUT, 'bench.gp')
    with open(gp, 'w', encoding='utf-8') as f:
        f.write(f'''set terminal png size 1300,650 noenhanced
set output "{os.path.join(OUT, 'bench.png')}"
set title "page_pin: pin+unpin time ratios (QEMU TCG -icount, median and min..max of {BOOTS} boots)"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.5 border -1
set ylabel "time ratio"
set yrange [0.9:1.25]
set bmargin 9
set rmargin 12
set grid ytics
set xtics rotate by -35
set key top left
plot "{dat}" using 2:3:4:xtic(1) title "on / off", \\
     "" using 5:6:7 title "off / base", 1 notitle lc rgb "black", \\
     1.02 title "target, page flag" dt 2 lc rgb "blue", \\
     1.10 title "target, page_ext" dt 2 lc rgb "red"
''')
    sh(['gnuplot', gp])


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
