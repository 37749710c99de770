// SPDX-License-Identifier: GPL-2.0-only
/// Convert get_user_pages*() call sites whose pages are used for DMA
/// (dma_map_*, scatterlists, bios, RDMA) and released with put_page()
/// or release_pages() to pin_user_pages*() and unpin_user_page*(), see
/// Documentation/core-api/pin_user_pages.rst.
///
/// The conversion is all or nothing per function: a get_user_pages*()
/// call is converted only when every release of its pages is visible in
/// the same function and is converted together with it.  Any release
/// that cannot be attributed to the pinned pages, any escape of the pages
/// (stored in a struct or a global, returned, handed to a function that
/// is not a known DMA/scatterlist/CPU-access helper, given to a bio that
/// is submitted asynchronously) and any CPU-only user (kmap(),
/// page_address(), copy_*()) vetoes the conversion of every
/// get_user_pages*() call in that function.  MODE=report lists every call
/// site with its verdict and the reason it is kept.
///
/// Known limitations: releases in other functions are never matched, so
/// pages kept in driver structures and released in a teardown path are
/// reported, not converted; gup_flags built in a caller that contain
/// FOLL_GET are not seen.
///
// Confidence: Moderate
// Comments: verdicts are printed as [tag] in report and org mode
// Options: --no-includes --include-headers
// Keywords: get_user_pages, pin_user_pages, FOLL_PIN, put_page

virtual patch
virtual context
virtual org
virtual report

@initialize:python@
@@
import re

GUP_ARGS = {
	# name: (number of arguments, index of gup_flags, index of pages)
	'get_user_pages': (4, 2, 3),
	'get_user_pages_fast': (4, 2, 3),
	'get_user_pages_unlocked': (4, 3, 2),
	'get_user_pages_remote': (6, 3, 4),
}

# Calls that put user pages into a DMA-capable container: the first
# argument is the container (scatterlist, sg_table, bio).
CONTAINER_SINKS = frozenset([
	'sg_set_page', 'sg_alloc_table_from_pages',
	'sg_alloc_table_from_pages_segment', '__sg_alloc_table_from_pages',
	'sg_alloc_append_table_from_pages', 'bio_add_page', '__bio_add_page',
	'bio_add_pc_page', 'bio_add_hw_page', 'bio_add_zone_append_page',
])

DMA_SINKS = CONTAINER_SINKS | frozenset([
	'dma_map_page', 'dma_map_page_attrs', 'dma_map_sg', 'dma_map_sg_attrs',
	'dma_map_sgtable', 'pci_map_page', 'pci_map_sg', 'page_to_phys',
	'ib_dma_map_page', 'ib_dma_map_sg', 'ib_dma_map_sg_attrs',
	'ib_dma_map_sgtable_attrs', 'iommu_map', 'iommu_map_sg',
])

def is_dma_sink(f):
	return f in DMA_SINKS or f.startswith('ib_')

# Functions that may see the pages (or their container) without the pages
# escaping from the function.
CONTAINER_OK = frozenset([
	'dma_unmap_page', 'dma_unmap_page_attrs', 'dma_unmap_sg',
	'dma_unmap_sg_attrs', 'dma_unmap_sgtable', 'dma_sync_sg_for_cpu',
	'dma_sync_sg_for_device', 'dma_sync_sgtable_for_cpu',
	'dma_sync_sgtable_for_device', 'sg_free_table', 'sg_free_append_table',
	'sg_next', 'sg_page', 'sg_dma_address', 'sg_dma_len', 'sg_init_table',
	'sg_mark_end', 'sg_nents', 'sg_nents_for_len', 'sg_virt', 'sg_phys',
	'sg_alloc_table', 'bio_put', 'bio_init', 'bio_uninit', 'bio_reset',
	'bio_set_dev',
	'submit_bio_wait', 'bio_alloc', 'bio_kmalloc', 'bio_endio',
])

CPU_OK = frozenset([
	'kmap', 'kunmap', 'kmap_atomic', 'kunmap_atomic', 'kmap_local_page',
	'kunmap_local', 'page_address', 'lowmem_page_address', 'vmap', 'vunmap',
	'flush_dcache_page', 'flush_kernel_dcache_page', 'memcpy_to_page',
	'memcpy_from_page', 'memcpy_page', 'memzero_page', 'copy_page',
	'copy_highpage', 'clear_highpage', 'page_to_pfn', 'page_to_nid',
	'page_folio', 'page_count', 'page_mapcount', 'nth_page', 'memcpy',
	'memset', 'memcmp', 'kfree', 'kvfree', 'vfree', 'sizeof', 'ARRAY_SIZE',
	'likely', 'unlikely', 'IS_ERR', 'IS_ERR_OR_NULL', 'PTR_ERR', 'min',
	'max', 'min_t', 'max_t', 'array_size', 'struct_size', 'printk',
	'set_page_dirty', 'set_page_dirty_lock', 'SetPageDirty', 'BUG_ON',
	'offset_in_page', 'page_size', 'page_ref_count', 'compound_head', 'is_zone_device_page',
])

def is_harmless(f):
	return (f in CPU_OK or f in CONTAINER_OK or f in GUP_ARGS or
		re.match(r'^(Page[A-Z]\w*|pr_\w+|dev_(err|warn|info|dbg|notice)\w*|'
			 r'WARN\w*|trace_\w+)$', f) is not None)

# Everything that drops a page reference.  Only put_page() and
# release_pages() are converted; any other one in a function with a
# get_user_pages*() call vetoes the conversion.
RELEASES = frozenset([
	'put_page', 'release_pages', 'folio_put', 'folios_put', 'folio_put_refs',
	'put_user_page', 'put_user_pages', 'put_user_pages_dirty_lock',
	'unpin_user_page', 'unpin_user_pages', 'unpin_user_pages_dirty_lock',
	'unpin_user_page_range_dirty_lock', 'unpin_folio', 'unpin_folios',
	'__free_page', '__free_pages', 'page_cache_release', 'put_page_testzero',
	'page_ref_dec', 'page_ref_sub', 'bio_release_pages', 'put_pages_list',
	'__folio_put',
])

# Per-file state.  spatch re-parses a file after every rule that changed
# it, under a temporary name and with shifted line numbers, so nothing here
# is keyed by file name or line once the patch rules have started: a
# function is approved as a whole, and in an approved function every
# put_page()/release_pages() is, by construction, one of the converted
# releases (any other release vetoes the function).
def reset(fname):
	global CUR, SITES, CALLS, ASSIGNS, RETURNS, ITERS, DECLS, PARAMS
	global FUNCS, DONE, APPROVED, VERDICT
	CUR = fname
	SITES = {}	# fn -> [site]
	CALLS = {}	# fn -> [(callee, [args], key)]
	ASSIGNS = {}	# fn -> [(lhs, rhs)]
	RETURNS = {}	# fn -> [expr]
	ITERS = {}	# fn -> [(iterator, [args])]
	DECLS = {}	# fn -> set(local variable names)
	PARAMS = {}	# fn -> set(parameter names)
	FUNCS = {}	# fn -> number of definitions (#ifdef variants)
	DONE = False	# analysis done
	APPROVED = set()	# functions to convert
	VERDICT = {}	# key of gup call -> message

reset(None)

def key(p):
	"""Identity of a call in the original (unpatched) file."""
	return (p.line, p.column)

def fkey(p):
	return p.current_element

def add(d, k, v):
	d.setdefault(k, []).append(v)

def toks(s):
	return re.findall(r'->|[A-Za-z_]\w*|\S', s)

# nested calls that hand back the page they are given
PASS_THROUGH = frozenset(['nth_page', 'compound_head', 'page_folio', 'sg_page'])

def drop_calls(s):
	"""Replace nested calls (and sizeof) by a placeholder: each call is
	checked on its own, and sizeof() does not touch the pages."""
	out, i = '', 0
	for m in re.finditer(r'\b([A-Za-z_]\w*)\s*\(', s):
		if m.start() < i or m.group(1) in PASS_THROUGH:
			continue
		d, j = 0, m.end() - 1
		while j < len(s):
			if s[j] == '(':
				d += 1
			elif s[j] == ')':
				d -= 1
				if d == 0:
					break
			j += 1
		out += s[i:m.start()] + ' 0 '
		i = j + 1
	return out + s[i:]

def mentions(s, names):
	"""Identifiers of s in names that are not struct member names."""
	t = toks(drop_calls(s))
	found = []
	for i, x in enumerate(t):
		if x in names and (i == 0 or t[i - 1] not in ('->', '.')):
			found.append(x)
	return found

def strip(s):
	s = s.strip()
	while True:
		m = re.match(r'^\(\s*(const\s+)?(struct\s+)?\w+(\s*\*)*\s*\)\s*(.+)$', s)
		if m and not re.match(r'^\(\s*\w+\s*\)$', s):
			s = m.group(4).strip()
			continue
		if s.startswith('(') and s.endswith(')') and balanced(s[1:-1]):
			s = s[1:-1].strip()
			continue
		return s

def balanced(s):
	d = 0
	for c in s:
		if c in '([':
			d += 1
		elif c in ')]':
			d -= 1
			if d < 0:
				return False
	return d == 0

def path(s):
	"""Parse s as [&] ident { -> f | . f | [e] } [ +/- e ].
	Returns (root, has_field, is_addr_of, has_index) or None."""
	s = strip(s)
	addr = False
	if s.startswith('&'):
		addr = True
		s = strip(s[1:])
	t = toks(s)
	if not t or not re.match(r'^[A-Za-z_]\w*$', t[0]):
		return None
	root, i, field, index = t[0], 1, False, False
	while i < len(t):
		if t[i] in ('->', '.') and i + 1 < len(t):
			field = True
			i += 2
		elif t[i] == '[':
			d = 0
			while i < len(t):
				if t[i] == '[':
					d += 1
				elif t[i] == ']':
					d -= 1
					if d == 0:
						break
				i += 1
			index = True
			i += 1
		elif t[i] in ('+', '-'):
			rest = ' '.join(t[i + 1:])
			if '(' in rest or '=' in rest:
				return None
			break
		else:
			return None
	return (root, field, addr, index)

def veto(reasons, tag, msg):
	if (tag, msg) not in reasons:
		reasons.append((tag, msg))

def analyse_site(fk, site, allcalls, assigns, rets, iters, decls, params):
	"""Per-site analysis: returns (reasons, pages, containers, dma)."""
	reasons = []
	fn = fk
	args = site['args']
	n, fi, pi = GUP_ARGS[site['name']]
	if len(args) != n:
		veto(reasons, 'bad-args', 'unrecognised argument list')
		return reasons, set(), set(), False
	parg = strip(args[pi])
	if parg in ('NULL', '0'):
		veto(reasons, 'no-pages',
		     'no pages array: only faults pages in, nothing to pin')
		return reasons, set(), set(), False
	p = path(parg)
	if p is None:
		veto(reasons, 'bad-args', 'pages argument "%s" not understood' % parg)
		return reasons, set(), set(), False
	root, field, addr, index = p
	if field:
		veto(reasons, 'escape-struct',
		     'pages array "%s" lives in a structure and can be released '
		     'outside %s()' % (parg, fn))
		return reasons, set(), set(), False
	if root in params:
		veto(reasons, 'not-local',
		     'pages array "%s" belongs to the caller of %s(), which may '
		     'release the pages' % (root, fn))
		return reasons, set(), set(), False
	if root not in decls:
		veto(reasons, 'not-local',
		     'pages array "%s" is not a local variable of %s()' %
		     (root, fn))
		return reasons, set(), set(), False
	site['single'] = addr and not index
	pages = set([root])
	containers = set()
	primary = set([root])
	changed = True
	while changed:
		changed = False
		every = pages | containers
		for lhs, rhs in assigns:
			lp = path(lhs)
			rp = path(rhs)
			if rp is not None and rp[0] in every:
				if lp is not None and not lp[1] and not lp[3] and \
				   not lp[2] and lp[0] in decls:
					tgt = pages if rp[0] in pages else containers
					if lp[0] not in tgt:
						tgt.add(lp[0])
						changed = True
				elif lp is not None and lp[0] in every and \
				     not lp[1]:
					pass	# pages[i] = pages[j] and friends
				else:
					veto(reasons, 'escape-struct',
					     'pages stored in "%s" and can be '
					     'released outside %s()' % (lhs, fn))
			elif lp is not None and lp[0] in containers and \
			     not lp[1] and not lp[3] and \
			     strip(rhs) not in ('NULL', '0') and \
			     not re.match(r'^\w+\s*\(', strip(rhs)):
				# sg = sgt->sgl: sgt holds the pages too, and
				# sgt = &obj->table puts them into obj
				if rp is None or rp[0] not in decls or \
				   (rp[1] and rp[2]):
					veto(reasons, 'escape-struct',
					     'pages reach "%s", which points '
					     'into "%s"' % (lhs, rhs))
				elif rp[0] not in containers:
					containers.add(rp[0])
					changed = True
		for it, iargs in iters:
			if not it.startswith('for_each_sg') or len(iargs) < 2:
				continue
			a = [path(x) for x in iargs[:2]]
			if any(x is not None and x[0] in every for x in a):
				for x, txt in zip(a, iargs[:2]):
					if x is None or x[0] not in decls or \
					   (x[1] and x[2]):
						veto(reasons, 'escape-struct',
						     'pages reach "%s", which '
						     'is not local to %s()' %
						     (txt, fn))
					elif x[0] not in every:
						containers.add(x[0])
						changed = True
		for f, cargs, ck in allcalls:
			if f not in CONTAINER_SINKS or not cargs:
				continue
			if not any(mentions(x, pages) for x in cargs[1:]):
				continue
			c = path(cargs[0])
			if c is None or c[1] or c[0] not in decls:
				veto(reasons, 'escape-struct',
				     'pages handed to %s(%s) which outlives '
				     '%s()' % (f, cargs[0], fn))
			elif c[0] not in containers:
				containers.add(c[0])
				changed = True
	every = pages | containers
	# a physical address of the pages that leaves the function is used
	# after (or without) the release here: pinning cannot cover it
	for lhs, rhs in assigns:
		for m in re.finditer(r'\b(page_to_phys|page_to_pfn)\s*\(', rhs):
			if not mentions(rhs[m.end():], pages):
				continue
			lp = path(lhs)
			if lp is None or lp[0] not in decls or lp[2]:
				veto(reasons, 'escape-phys',
				     '%s() of the pages is stored in "%s", which '
				     'outlives %s()' % (m.group(1), lhs, fn))
	# aliases must not also hold pages from elsewhere
	for lhs, rhs in assigns:
		lp = path(lhs)
		if lp is None or lp[1] or lp[2] or lp[3]:
			continue
		if lp[0] in pages and lp[0] not in primary or \
		   lp[0] in primary and site['single']:
			rp = path(rhs)
			if strip(rhs) in ('NULL', '0') or site['name'] in rhs:
				continue
			if rp is None or rp[0] not in pages:
				veto(reasons, 'ambiguous-alias',
				     '"%s" also holds pages that do not come from '
				     '%s()' % (lp[0], site['name']))
	for r in rets:
		rp = path(r)
		if rp is not None and rp[0] in every:
			veto(reasons, 'escape-return',
			     '"%s" is returned from %s()' % (r, fn))
	dma = False
	for f, cargs, ck in allcalls:
		if ck == site['key']:
			continue
		m = [x for x in cargs if mentions(x, every)]
		if not m:
			continue
		if f in RELEASES:
			continue
		if is_dma_sink(f) and any(mentions(x, pages) for x in cargs):
			dma = True
			continue
		if is_dma_sink(f) or is_harmless(f):
			continue
		veto(reasons, 'escape-call',
		     'pages handed to %s(), which may keep or release '
		     'them' % f)
	return reasons, pages, containers, dma

def release_target(f, cargs, pages, containers):
	"""True when the release call drops a reference of the given pages."""
	if f == 'put_page' and len(cargs) == 1:
		a = strip(cargs[0])
		m = re.match(r'^sg_page\s*\((.*)\)$', a)
		if m:
			c = path(m.group(1))
			return c is not None and c[0] in containers
		p = path(a)
		return p is not None and not p[1] and not p[2] and p[0] in pages
	if f == 'release_pages' and len(cargs) == 2:
		p = path(cargs[0])
		return p is not None and not p[1] and p[0] in pages
	return False

def analyse():
	global DONE
	if DONE:
		return
	DONE = True
	for fk in SITES:
		sites = SITES[fk]
		allcalls = CALLS.get(fk, [])
		assigns = ASSIGNS.get(fk, [])
		rets = RETURNS.get(fk, [])
		iters = ITERS.get(fk, [])
		decls = DECLS.get(fk, set())
		params = PARAMS.get(fk, set())
		res = []
		allpages, allcont = set(), set()
		for s in sites:
			reasons, pages, cont, dma = analyse_site(
				fk, s, allcalls, assigns, rets, iters, decls,
				params)
			if not reasons and not dma:
				veto(reasons, 'cpu-only',
				     'pages are only accessed by the CPU, no DMA, '
				     'scatterlist or bio user: FOLL_GET is right')
			allpages |= pages
			allcont |= cont
			res.append((s, reasons, pages, cont))
		fnreasons = []
		conv = []
		if FUNCS.get(fk, 0) == 0:
			veto(fnreasons, 'macro',
			     'call is not inside a function body (macro '
			     'definition?), cannot follow its pages')
		elif FUNCS.get(fk, 0) != 1:
			veto(fnreasons, 'duplicate-fn',
			     '%s() is defined %d times (#ifdef variants?), cannot '
			     'tell them apart' % (fk, FUNCS.get(fk, 0)))
		for f, cargs, ck in allcalls:
			if f not in RELEASES:
				continue
			if release_target(f, cargs, allpages, allcont):
				conv.append(ck)
			else:
				veto(fnreasons, 'unmatched-release',
				     '%s(%s) in %s() cannot be matched to the '
				     'pinned pages' % (f, ', '.join(cargs), fk))
		if not conv:
			veto(fnreasons, 'no-release',
			     'no put_page()/release_pages() of the pages in '
			     '%s(): they are released elsewhere' % fk)
		bad = [s for s, r, p, c in res if r]
		for s, reasons, pages, cont in res:
			rs = list(reasons) + fnreasons
			if not rs and bad:
				rs = [('mixed', 'another get_user_pages*() call in '
				       '%s() (line %s) is kept, so this one is '
				       'kept too' % (fk, bad[0]['line']))]
			s['reasons'] = rs
		if fnreasons or bad:
			for s, reasons, pages, cont in res:
				VERDICT[s['key']] = 'keep %s %s: %s' % (
					''.join('[%s]' % t for t, m in s['reasons']),
					s['name'], '; '.join(m for t, m in s['reasons']))
			continue
		APPROVED.add(fk)
		for s, reasons, pages, cont in res:
			VERDICT[s['key']] = ('[convert] %s() -> %s(), %d release(s) '
					     'in %s() -> unpin_user_page*()' % (
					     s['name'], s['name'].replace('get_', 'pin_'),
					     len(conv), fk))

def conv_fn(p):
	analyse()
	return fkey(p[0]) in APPROVED

def half_converted(p, what):
	"""Called when patch mode left a get_user_pages*()/put_page() behind
	in a converted function: refuse to produce a half conversion."""
	raise Exception('gup_to_pin: %s:%s: %s left in converted function %s(); '
			'refusing to emit a half conversion' %
			(CUR, p[0].line, what, fkey(p[0])))

def args_of(es):
	return [str(x) for x in es.elements]

// ------------------------------------------------------------------------
// Collection: every get_user_pages*() call and, in the files that have one,
// every call, assignment, return, iterator and declaration.

@gup@
identifier gf = {get_user_pages, get_user_pages_fast, get_user_pages_unlocked,
		 get_user_pages_remote};
expression list es;
position g;
@@

gf@g(es)

@script:python gup_record@
gf << gup.gf;
es << gup.es;
g << gup.g;
@@

if g[0].file != CUR:
	reset(g[0].file)
add(SITES, fkey(g[0]), {'name': gf, 'args': args_of(es), 'key': key(g[0]),
			'line': g[0].line})

@calls depends on gup@
expression fe;
expression list es;
position c;
@@

fe@c(es)

@script:python@
fe << calls.fe;
es << calls.es;
c << calls.c;
@@

if fkey(c[0]) in SITES:
	add(CALLS, fkey(c[0]), (fe, args_of(es), key(c[0])))

@assigns depends on gup@
expression L, R;
position a;
@@

L@a = R

@script:python@
L << assigns.L;
R << assigns.R;
a << assigns.a;
@@

if fkey(a[0]) in SITES:
	add(ASSIGNS, fkey(a[0]), (L, R))

@rets depends on gup@
expression E;
position r;
@@

return@r E;

@script:python@
E << rets.E;
r << rets.r;
@@

if fkey(r[0]) in SITES:
	add(RETURNS, fkey(r[0]), E)

@iters depends on gup@
iterator I;
expression list es;
position i;
statement S;
@@

I@i(es) S

@script:python@
I << iters.I;
es << iters.es;
i << iters.i;
@@

if fkey(i[0]) in SITES:
	add(ITERS, fkey(i[0]), (I, args_of(es)))

@decls depends on gup@
type T;
identifier x;
position d;
expression R;
@@

(
T x@d;
|
T x@d = R;
)

@script:python@
x << decls.x;
d << decls.d;
@@

DECLS.setdefault(fkey(d[0]), set()).add(x)

@params depends on gup@
type T;
identifier x, fn;
position d;
@@

fn(..., T x@d, ...) { ... }

@script:python@
x << params.x;
d << params.d;
@@

PARAMS.setdefault(fkey(d[0]), set()).add(x)

@funcs depends on gup@
identifier fn;
position d;
@@

fn@d(...) { ... }

@script:python@
fn << funcs.fn;
d << funcs.d;
@@

FUNCS[fn] = FUNCS.get(fn, 0) + 1

// ------------------------------------------------------------------------
// Patch mode.  Only functions approved by analyse() are touched, and in
// them every put_page()/release_pages() goes.  Loops first, then
// dirty + put pairs, then single calls.

// "if (x) { loop }" would keep needless braces once the loop is one call
@if_loop depends on patch && gup@
identifier I;
expression P, N, E;
position q : script:python () { conv_fn(q) };
@@

- if (E) {
-	for (I = 0; I < N; \(I++\|++I\))
-		put_page@q(P[I]);
- }
+ if (E)
+	unpin_user_pages(P, N);

@loop_dirty depends on patch && gup@
identifier I;
expression P, N, D;
position q : script:python () { conv_fn(q) };
@@

(
// the dirty test depends on the index: leave it to the put rule below
  for (I = 0; I < N; \(I++\|++I\)) {
	if (<+... I ...+>)
		set_page_dirty_lock(P[I]);
	put_page@q(P[I]);
  }
|
- for (I = 0; I < N; \(I++\|++I\)) {
-	if (D)
-		set_page_dirty_lock(P[I]);
-	put_page@q(P[I]);
- }
+ unpin_user_pages_dirty_lock(P, N, D);
|
- for (I = 0; I < N; \(I++\|++I\)) {
-	set_page_dirty_lock(P[I]);
-	put_page@q(P[I]);
- }
+ unpin_user_pages_dirty_lock(P, N, true);
|
- for (I = 0; I < N; \(I++\|++I\))
-	put_page@q(P[I]);
+ unpin_user_pages(P, N);
)

@one_dirty depends on patch && gup@
expression D, S, P, I;
identifier p;
position q : script:python () { conv_fn(q) };
@@

(
- if (D)
-	set_page_dirty_lock(sg_page(S));
- put_page@q(sg_page(S));
+ unpin_user_page_range_dirty_lock(sg_page(S), 1, D);
|
- set_page_dirty_lock(sg_page(S));
- put_page@q(sg_page(S));
+ unpin_user_page_range_dirty_lock(sg_page(S), 1, true);
|
- if (D)
-	set_page_dirty_lock(P[I]);
- put_page@q(P[I]);
+ unpin_user_pages_dirty_lock(&P[I], 1, D);
|
- set_page_dirty_lock(P[I]);
- put_page@q(P[I]);
+ unpin_user_pages_dirty_lock(&P[I], 1, true);
|
- if (D)
-	set_page_dirty_lock(p);
- put_page@q(p);
+ unpin_user_pages_dirty_lock(&p, 1, D);
|
- set_page_dirty_lock(p);
- put_page@q(p);
+ unpin_user_pages_dirty_lock(&p, 1, true);
)

@release depends on patch && gup@
expression P, N;
position q : script:python () { conv_fn(q) };
@@

- release_pages@q(P, N)
+ unpin_user_pages(P, N)

@put depends on patch && gup@
expression E;
position q : script:python () { conv_fn(q) };
@@

- put_page@q(E)
+ unpin_user_page(E)

@flags_stmt depends on patch && gup@
expression F;
position f : script:python () { conv_fn(f) };
@@

- F@f |= FOLL_GET;

@flags_or depends on patch && gup@
expression E;
position f : script:python () { conv_fn(f) };
@@

(
- FOLL_GET@f |
  E
|
  E
- | FOLL_GET@f
)

@flags_only depends on patch && gup@
position f : script:python () { conv_fn(f) };
@@

- FOLL_GET@f
+ 0

@rename depends on patch && gup@
position g : script:python () { conv_fn(g) };
@@

(
- get_user_pages@g
+ pin_user_pages
|
- get_user_pages_fast@g
+ pin_user_pages_fast
|
- get_user_pages_unlocked@g
+ pin_user_pages_unlocked
|
- get_user_pages_remote@g
+ pin_user_pages_remote
)
  (...)

// Safety net: nothing of the old API may survive in a converted function.
@leftover depends on patch && gup@
identifier lf = {get_user_pages, get_user_pages_fast, get_user_pages_unlocked,
		 get_user_pages_remote, put_page, release_pages};
position l : script:python () { conv_fn(l) };
@@

lf@l(...)

@script:python depends on patch@
lf << leftover.lf;
l << leftover.l;
@@

half_converted(l, lf + '()')

// ------------------------------------------------------------------------
// Context, org and report modes.

@ctx depends on context && gup@
identifier cf = {get_user_pages, get_user_pages_fast, get_user_pages_unlocked,
		 get_user_pages_remote, put_page, release_pages};
position c : script:python () { conv_fn(c) };
@@

* cf@c(...)

@script:python depends on org@
gf << gup.gf;
g << gup.g;
@@

analyse()
coccilib.org.print_todo(g[0], VERDICT.get(key(g[0]), 'keep [unknown] %s' % gf))

@script:python depends on report@
gf << gup.gf;
g << gup.g;
@@

analyse()
coccilib.report.print_report(g[0], VERDICT.get(key(g[0]),
			     'keep [unknown] %s' % gf))
