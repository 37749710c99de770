# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: results tables and the generated parts of README.md.
"""Results tables and the generated parts of README.md."""

import json
import os
import shutil
import subprocess
import time

from pp_common import BUILD, RESULTS, RESULTS_DOC, ROOT, die, log, read_text
from pp_guest import qemu_version


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


def put_block(text, name, body):
    """Replace what is between <!-- name:begin --> and <!-- name:end -->."""
    begin, end = f'<!-- {name}:begin -->', f'<!-- {name}:end -->'
    if body is None or begin not in text or end not in text:
        return text
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f'{head}{begin}\n{body}{end}{tail}'


TIMES = os.path.join(RESULTS, 'times.tsv')
TIMES_HEAD = 'date command seconds kernel_build_s ccache commit result'


def commit_id():
    """The repository's HEAD, with -dirty for uncommitted changes."""
    head = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(['git', '-C', ROOT, 'status', '--porcelain',
                            '--untracked-files=no'], capture_output=True,
                           text=True).stdout.strip()
    return head + ('-dirty' if dirty else '')


def record_time(command, seconds, build_seconds, result, commit):
    """Append one measured run of commit (commit_id() when it started) to
    build/results/times.tsv."""
    os.makedirs(RESULTS, exist_ok=True)
    new = not os.path.exists(TIMES)
    ccache = 'off' if os.environ.get('CCACHE_DISABLE') == '1' else 'on'
    with open(TIMES, 'a', encoding='utf-8') as f:
        if new:
            f.write('\t'.join(TIMES_HEAD.split()) + '\n')
        f.write('\t'.join([time.strftime('%Y-%m-%d %H:%M', time.gmtime()),
                           command, str(round(seconds)),
                           str(round(build_seconds)), ccache, commit,
                           result]) + '\n')


def minutes(seconds):
    seconds = int(seconds)
    return f'{seconds // 60} min {seconds % 60:02d} s'


def times_table():
    """The latest run of each command per kind: kernels up to date, some
    rebuilt, or built with ccache off (CCACHE_DISABLE=1, truly cold)."""
    text = read_text(TIMES)
    if text is None:
        return None
    latest = {}
    for line in text.splitlines()[1:]:
        when, command, secs, build_s, ccache, commit, result = \
            line.split('\t')
        kind = ('cold: kernels built with ccache off' if ccache == 'off'
                else 'kernels rebuilt' if int(build_s) >= 60
                else 'kernels up to date')
        latest[(command, kind)] = (when, secs, build_s, commit, result)
    rows = ['| command | kind | when (UTC) | time | of it building kernels '
            '| commit | result |', '|---|---|---|---|---|---|---|']
    for (command, kind), (when, secs, build_s, commit, result) in \
            sorted(latest.items()):
        rows.append(f'| `{command}` | {kind} | {when} | {minutes(secs)} | '
                    f'{minutes(build_s)} | {commit} | {result} |')
    return '\n'.join(rows) + '\n'


def summary_table(rows):
    """results.json folded per arch: what README.md shows."""
    per = {}
    for r in rows:
        s = per.setdefault(r['arch'], [0, 0, 0, 0])
        s[0] += r['passed']
        s[1] += r['failed']
        s[2] += r['skipped']
        s[3] += 1
    out = ['| arch | rows | passed | failed | skipped |',
           '|---|---|---|---|---|']
    for arch, (p, f, s, n) in per.items():
        out.append(f'| {"gates (no kernel)" if arch == "-" else arch} | {n} '
                   f'| {p} | {f} | {s} |')
    return '\n'.join(out) + '\n'


def day_of(path):
    return time.strftime('%Y-%m-%d', time.gmtime(os.path.getmtime(path)))


def cmd_readme(_args):
    """Rewrite every generated block of README.md and RESULTS.md from
    build/results and build/bench: nothing is copied by hand."""
    table = os.path.join(RESULTS, 'results.md')
    body = read_text(table)
    if body is None:
        die('no build/results/results.md; run "make check" first')
    with open(os.path.join(RESULTS, 'results.json'), encoding='utf-8') as f:
        rows = json.load(f)
    base = read_text(os.path.join(RESULTS, 'base.txt')).strip()
    stamp = f'`make check` on {day_of(table)}, base {base}, QEMU ' \
        f'{qemu_version()}'
    blocks = {'results': f'Generated by {stamp}.\n\n{body}',
              'summary': f'Generated by {stamp}; every row: '
                         '[RESULTS.md](tools/testing/page_pin/RESULTS.md).'
                         f'\n\n{summary_table(rows)}\n' +
                         body.strip().splitlines()[-1] + '\n',
              'times': times_table()}
    run_md = os.path.join(RESULTS, 'run.md')
    if os.path.exists(run_md):
        blocks['run'] = f'Generated by `make run` on {day_of(run_md)}:\n\n' \
            + read_text(run_md)
    mutants_md = os.path.join(RESULTS, 'mutants.md')
    if os.path.exists(mutants_md):
        blocks['mutants'] = f'Generated by `make mutants` on ' \
            f'{day_of(mutants_md)}:\n\n{read_text(mutants_md)}'
    san_md = os.path.join(RESULTS, 'sanitizers.md')
    if os.path.exists(san_md):
        blocks['sanitizers'] = f'Generated by `make sanitizers` on ' \
            f'{day_of(san_md)}; every report seen, "none" where there ' \
            f'was none:\n\n{read_text(san_md)}'
        boots = read_text(os.path.join(RESULTS, 'results-sanitizers.md'))
        if boots:
            blocks['sanitizer-boots'] = f'Generated by `make sanitizers` ' \
                f'on {day_of(san_md)}:\n\n{boots}'
    full_md = os.path.join(RESULTS, 'results-full.md')
    if os.path.exists(full_md):
        blocks['full'] = f'`make check-full`, generated on ' \
            f'{day_of(full_md)}:\n\n{read_text(full_md)}'
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
        blocks['bench'] = bench
        os.makedirs(os.path.join(ROOT, 'results'), exist_ok=True)
        shutil.copy(os.path.join(bench_dir, 'bench.png'),
                    os.path.join(ROOT, 'results', 'bench.png'))
    blocks['reclaim'] = read_text(os.path.join(bench_dir, 'reclaim.md'))
    for path in (os.path.join(ROOT, 'README.md'), RESULTS_DOC):
        text = read_text(path)
        for name, block in blocks.items():
            text = put_block(text, name, block)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
    log('README.md and tools/testing/page_pin/RESULTS.md: generated blocks '
        'updated')
