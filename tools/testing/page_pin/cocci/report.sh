#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tree-wide verdict report for scripts/coccinelle/gup_to_pin.cocci.
#
# Usage: report.sh <kernel-tree-or-subdir> [outfile]
#
# Lists every get_user_pages*() call site under the given directory with
# the verdict of gup_to_pin.cocci in report mode ([convert] or the [tag]
# of the reason it is kept), followed by the number of call sites per
# verdict.  Call sites are found independently of spatch (comments and
# string literals stripped, declarations skipped), so a call that spatch
# could not see - a file that does not parse, a call hidden in a macro -
# is listed as [unseen] with its file name, never dropped.  A directory
# without get_user_pages*() users prints "nothing to convert".
#
# Environment: SPATCH (default: spatch from PATH), JOBS (default 2, the
# number of spatch processes run in parallel), TIMEOUT (seconds per file,
# default 300).

set -euo pipefail

usage() {
	echo "usage: $0 <kernel-tree> [outfile]" >&2
	exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
tree=$1
out=${2:-}
[ -d "$tree" ] || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
cocci=$repo/scripts/coccinelle/gup_to_pin.cocci
spatch=${SPATCH:-spatch}
jobs=${JOBS:-2}
timeout=${TIMEOUT:-300}

command -v "$spatch" >/dev/null || { echo "spatch not found in PATH" >&2; exit 2; }
[ -f "$cocci" ] || { echo "$cocci missing" >&2; exit 2; }

start=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -n "$out" ]; then
	exec >"$out"
fi

regex='(__get_user_pages_fast|get_user_pages(_fast|_unlocked|_remote|_locked|_longterm|_fast_only)?)'

# Prefilter: only files that mention get_user_pages*.
cd "$tree"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
   [ -n "$(git ls-files -- . | head -n 1)" ]; then
	git grep -lE "\\b$regex\\b" -- '*.c' '*.h' >"$tmp/files" || true
else
	grep -rlE --include='*.c' --include='*.h' "\\b$regex\\b" . |
		sed 's|^\./||' >"$tmp/files" || true
fi
sort -o "$tmp/files" "$tmp/files"

# Call sites, independently of spatch.
python3 - "$tmp/files" >"$tmp/sites" <<'PY'
import re
import sys

call = re.compile(r'\b(__get_user_pages_fast|get_user_pages(_fast|_unlocked|_remote|_locked|_longterm|_fast_only)?)\s*\(')
decl = re.compile(r'(\b(long|int|void|extern|inline|static|__weak)\s+|\*\s*)$')

def strip(text):
    """Blank out comments, string and character literals, keep newlines."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r'[^\n]', ' ', text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)

for name in open(sys.argv[1]).read().split():
    try:
        text = strip(open(name, errors='replace').read())
    except OSError:
        continue
    for m in call.finditer(text):
        line_start = text.rfind('\n', 0, m.start()) + 1
        before = text[line_start:m.start()]
        if decl.search(before):
            continue	# prototype or definition
        line = text.count('\n', 0, m.start()) + 1
        in_macro = False
        k = line_start
        while k > 0:
            prev = text.rfind('\n', 0, k - 1) + 1
            if text[prev:k - 1].rstrip().endswith('\\'):
                k = prev
                continue
            break
        if text[k:].lstrip().startswith('#'):
            in_macro = True
        print('%s:%d:%s:%s' % (name, line, m.group(0).rstrip('( \t\n'),
                               'macro' if in_macro else 'code'))
PY

if [ ! -s "$tmp/sites" ]; then
	echo "nothing to convert: no get_user_pages*() call sites under $tree"
	exit 0
fi

cut -d: -f1 "$tmp/sites" | sort -u >"$tmp/gupfiles"

# One spatch per file, $jobs at a time.  A failing or timed out spatch is
# recorded, not fatal.
export spatch cocci timeout tmp
# shellcheck disable=SC2016 # expanded by the inner sh
xargs -a "$tmp/gupfiles" -d '\n' -P "$jobs" -I{} sh -c '
	f=$1
	log=$tmp/$(printf "%s" "$f" | tr / _)
	if timeout "$timeout" "$spatch" --very-quiet --no-includes \
		--include-headers --sp-file "$cocci" -D report "$f" \
		>"$log.rep" 2>"$log.err"; then
		:
	else
		echo "$f: spatch exit $?" >>"$tmp/failed"
	fi
' sh {}

# Join the independent list with spatch verdicts.
python3 - "$tmp" <<'PY'
import collections
import os
import re
import sys

tmp = sys.argv[1]
failed = {}
if os.path.exists(os.path.join(tmp, 'failed')):
    for l in open(os.path.join(tmp, 'failed')):
        f, why = l.rstrip('\n').rsplit(': ', 1)
        failed[f] = why
verdicts = collections.defaultdict(list)
for name in set(l.split(':')[0] for l in open(os.path.join(tmp, 'sites'))):
    rep = os.path.join(tmp, name.replace('/', '_') + '.rep')
    if not os.path.exists(rep):
        continue
    for l in open(rep):
        m = re.match(r'^(.*?):(\d+):\d+-\d+: (.*)$', l.rstrip('\n'))
        if m:
            verdicts[(m.group(1), int(m.group(2)))].append(m.group(3))

counts = collections.Counter()
rows = []
for l in open(os.path.join(tmp, 'sites')):
    name, line, func, kind = l.rstrip('\n').split(':')
    line = int(line)
    v = verdicts.get((name, line))
    if v:
        msg = v.pop(0)
    elif name in failed:
        msg = 'keep [spatch-failed] %s: spatch failed on this file (%s)' % (
            func, failed[name])
    elif kind == 'macro':
        msg = 'keep [unseen] %s: call inside a macro definition, spatch ' \
              'cannot see through it' % func
    else:
        msg = 'keep [unseen] %s: spatch did not see this call (parse ' \
              'error or macro)' % func
    tags = re.findall(r'\[([a-z-]+)\]', msg)
    counts[tags[0] if tags else 'unknown'] += 1
    rows.append('%s:%d: %s' % (name, line, msg))

for r in rows:
    print(r)
print()
print('verdicts (first reason per call site):')
for tag, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
    print('  %-20s %d' % (tag, n))
print('  %-20s %d' % ('total', sum(counts.values())))
unseen = sorted(set(r.split(':')[0] for r in rows
                    if '[unseen]' in r or '[spatch-failed]' in r))
if unseen:
    print('files with call sites spatch could not analyse: %s' %
          ' '.join(unseen))
PY

echo "wall time: $(( $(date +%s) - start ))s"
