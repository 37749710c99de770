// SPDX-License-Identifier: GPL-2.0-only
/// Convert get_user_pages*() call sites whose pages are used for DMA, or
/// written through the CPU and dirtied (case 5 of
/// Documentation/core-api/pin_user_pages.rst), and released with
/// put_page(), release_pages() or the 5.2-5.5 put_user_page*() API, to
/// pin_user_pages*() and unpin_user_page*().
///
/// Ownership is followed through the whole file: from the pages argument
/// through local aliases, structure fields (by field name, in every
/// function of the file), array arguments of the file's own functions,
/// their return values, scatterlists, sg_tables and bios, memcpy() of the
/// page pointers and for_each_sg() iterators; a parameter that the body
/// overwrites before any read (at its top level, before any label, goto
/// or #if) is a local, and a call through a macro that renames functions
/// of the file or known helpers in its #if branches is a call of each.
/// A get site is converted together with every release of its pages,
/// or nothing is converted.  It is kept when a release cannot be
/// converted or matched, when pages from elsewhere (alloc_page(),
/// virt_to_page(), ...) share a holder, when
/// the pages reach a function that is not in the file and not a known
/// DMA, scatterlist or CPU helper, or pass through a function that is not
/// static (named in the verdict: [extern-release foo], [extern-caller
/// foo]), when the pages outlive the get's function and only it releases
/// them, and when an extra get_page() is taken.  Pages from
/// pfn_to_page(), vmalloc_to_page() and the like share a holder without
/// a veto (they hold no reference, so no correct put_page() drops them);
/// the table a dma-buf .map_dma_buf callback returns stays the
/// exporter's.  An #if inside the
/// arguments of a get or a release_pages() is evaluated as a 6.12 build
/// would (LINUX_VERSION_CODE, KERNEL_VERSION() and numbers only); when
/// the 6.12 arguments need only a rename, and for get_user_pages() the
/// removal of a trailing NULL vmas, the #if blocks are left in place and
/// the call is converted, otherwise it is kept.  Dirty + put loops are
/// folded into unpin_user_pages_dirty_lock(), and a loop counter only
/// they used goes with them (in that function only); so are loops and if/else whose release is
/// split by an #if (page_cache_release() before 4.6), with a
/// !PageReserved() dirty test dropped as upstream did, and nth_page()
/// runs (unpin_user_page_range_dirty_lock()).  A fold up to what a get
/// returned (an errno on failure) is guarded by "if (n > 0)", unless an
/// enclosing if tests it.  Older call shapes
/// (tsk/mm, write/force, a NULL vmas, get_user_pages_longterm()) are
/// rewritten to the 6.12 API (with an #if in the arguments, the whole
/// "x = get(...);" statement is);
/// a non-NULL vmas, get_user_pages_locked(), __get_user_pages_fast() and
/// get_user_pages_fast_only() have no pin counterpart and are reported.
/// MODE=report gives every get call site a verdict: [convert] with the
/// release sites it pairs, or keep with the reason, [cpu-read-only] for a
/// read-only CPU user, [unknown-user] when no user was recognised.
///
/// Limits: one file at a time (any number of files per spatch run gives the
/// same result); a structure field is identified by its name only; releases
/// in other files, or through function pointers, macros or functions
/// outside the file, are not seen (a field released only elsewhere gives
/// [no-release]); pages that leave as a physical address or frame number
/// that is kept or handed on, or as a kmap()/page_address() address kept
/// beyond the function, are paired with releases of pages made back from
/// one (pfn_to_page()/phys_to_page(), or kmap_to_page()) only when that
/// get is the file's only one whose pages leave so, the file calls no
/// page allocator, and every field the page is made back from holds only
/// such addresses; any other release of a page made from an address
/// vetoes every get of the file as [pfn-release] (such a page holds no
/// reference of its own); a release whose pages come from nowhere the
/// file shows (a parameter of a function other files call, a function
/// of another file; a bio's bi_end_io callback of the file, if static,
/// is given back the bio it was set on), also through a macro that
/// renames put_page(), or that sits in code spatch cannot parse (a macro
/// its own macro file defines, like TRACE_EXIT), vetoes every get of the
/// file as [stray-release]; a CPU write through a vmap()/kmap() address is seen
/// only as memcpy()-like calls into it or stores through it; gup_flags
/// built in a caller that contain FOLL_GET are not seen; a fold's count
/// is guarded when a get's result is stored under its name (a variable or
/// a field) or passed to it as a parameter by the file (through any
/// number of calls), not through other copies; a non-static function
/// that takes the pages as a parameter and hands them on to a release
/// vetoes as [extern-release]; a loop whose counter is read after it is converted page by
/// page (the check follows the text: an enclosing loop's back edge is
/// taken as a read); a function-like macro from a header is an unknown call
/// (taken by name: a two-argument *sg_init_table* wrapper, allocators
/// and frees of the page array named like the kernel's, vmalloc_os() or
/// os_kfree(), and debug prints, debug() or foo_dbg()); an integer that
/// the file casts to a structure pointer may carry a page array; a loop
/// whose body is an #if block without braces is converted page by page.  A
/// get call in code that spatch cannot parse is reported as [unseen].
/// GUP_TO_PIN_DEBUG=1 in the environment prints each class of holders.
///
// Confidence: Moderate
// Comments: verdicts are printed as [tag] in report and org mode
// Options: --no-includes --include-headers
// Requires: 1.1.1
// Keywords: get_user_pages, pin_user_pages, FOLL_PIN, put_page

virtual patch
virtual context
virtual org
virtual report

@initialize:python@
@@
import os
import re

# The get_user_pages*() family, 6.12 and older shapes.  gup_shape() says,
# for one call, where its pages are and what it becomes.
GUP_NAMES = ('get_user_pages', 'get_user_pages_fast', 'get_user_pages_unlocked',
	     'get_user_pages_remote', 'get_user_pages_locked',
	     'get_user_pages_longterm', '__get_user_pages_fast',
	     'get_user_pages_fast_only')

# Releases that become unpin_user_page*(); any other page release of the
# pinned pages vetoes their conversion.
CONV_RELEASES = frozenset([
	'put_page', 'release_pages', 'page_cache_release', 'put_user_page',
	'put_user_pages', 'put_user_pages_dirty_lock', 'put_user_pages_dirty',
])
RELEASES = CONV_RELEASES | frozenset([
	'folio_put', 'folios_put', 'folio_put_refs', '__folio_put',
	'unpin_user_page', 'unpin_user_pages', 'unpin_user_pages_dirty_lock',
	'unpin_user_page_range_dirty_lock', 'unpin_folio', 'unpin_folios',
	'unpin_user_folio', '__free_page', '__free_pages', 'free_page',
	'put_page_testzero', 'page_ref_dec', 'page_ref_sub',
	'bio_release_pages', 'put_pages_list',
])
# Releases that a rename converts when an #if sits inside their arguments.
IFDEF_RENAMES = frozenset(['release_pages', 'put_user_pages'])
# Printing, tracing, assertions and page-flag tests: they neither keep nor
# release the pages.
DEBUG_CALL = re.compile(r'^(pr_\w+|printk|dev_(err|warn|info|dbg|notice)\w*|'
			r'WARN\w*|trace_\w+|(Set|Clear)?Page[A-Z]\w*|'
			r'VM_(BUG|WARN)_ON\w*|BUG_ON|folio_test_\w+|'
			r'(debug|DEBUG|dbg|DBG|d?printk|D?PRINTK|d?printf|'
			r'D?PRINTF)|\w+_(debug|DEBUG|dbg|DBG)|'
			r'(debug|DEBUG|dbg|DBG)_\w+|log_(err|warn|info|debug))$')
# Extra references: a later put_page() may drop one of these, not the pin.
EXTRA_REFS = frozenset(['get_page', 'folio_get', 'page_ref_inc',
			'page_ref_add', 'try_get_page', 'page_cache_get',
			'get_page_unless_zero', 'folio_try_get',
			'folio_ref_inc', 'folio_ref_add', 'page_ref_inc_return',
			'page_ref_add_unless', 'folio_get_many'])
# Pages that do not come from get_user_pages*().
PAGE_SOURCES = frozenset([
	'alloc_page', 'alloc_pages', 'alloc_pages_node', '__alloc_pages',
	'alloc_page_vma', 'virt_to_page', 'vmalloc_to_page', 'pfn_to_page',
	'phys_to_page', 'kmap_to_page', 'find_get_page', 'find_lock_page',
	'grab_cache_page', 'read_mapping_page', 'dma_alloc_pages',
	'__page_cache_alloc', 'page_cache_alloc', 'shmem_read_mapping_page',
	'ZERO_PAGE',
])
# Sources that take no reference: a correct driver never put_page()s
# their pages, so every put of a holder that mixes them with pinned pages
# drops a pin (an extra get_page() on them is vetoed as extra-ref).
REFLESS_SOURCES = frozenset(['virt_to_page', 'vmalloc_to_page', 'pfn_to_page',
			     'phys_to_page', 'kmap_to_page'])
# Sources that make a page from an address or frame number.
MADE_SOURCES = frozenset(['pfn_to_page', 'phys_to_page', 'virt_to_page',
			  'kmap_to_page'])
# Functions that put pages into a DMA container: (container, pages)
# argument numbers.  Lengths and offsets are not holders.
SINK_ARGS = {
	'sg_set_page': (0, 1), 'sg_alloc_table_from_pages': (0, 1),
	'sg_alloc_table_from_pages_segment': (0, 1),
	'__sg_alloc_table_from_pages': (0, 1),
	'sg_alloc_append_table_from_pages': (0, 1), 'bio_add_page': (0, 1),
	'__bio_add_page': (0, 1), 'bio_add_pc_page': (1, 2),
	'bio_add_hw_page': (1, 2), 'bio_add_zone_append_page': (0, 1),
}
CONTAINER_SINKS = frozenset(SINK_ARGS)
# Users that hand the memory to a device (or a hypervisor) by address.
DMA_USERS = CONTAINER_SINKS | frozenset([
	'dma_map_page', 'dma_map_page_attrs', 'dma_map_sg', 'dma_map_sg_attrs',
	'dma_map_sgtable', 'dma_map_single', 'dma_map_single_attrs',
	'pci_map_page', 'pci_map_sg', 'pci_map_single', 'page_to_phys',
	'virt_to_phys', '__pa', 'virt_to_bus', 'sg_phys',
	'ib_dma_map_page', 'ib_dma_map_sg', 'ib_dma_map_sg_attrs',
	'ib_dma_map_sgtable_attrs', 'iommu_map', 'iommu_map_sg',
	'page_to_dma', 'dma_map_resource', 'remap_pfn_range',
])
DIRTY = frozenset(['set_page_dirty', 'set_page_dirty_lock', 'SetPageDirty',
		   'folio_mark_dirty'])
CPU_USERS = frozenset([
	'kmap', 'kmap_atomic', 'kmap_local_page', 'page_address',
	'lowmem_page_address', 'vmap', 'memcpy_to_page', 'memcpy_from_page',
	'memcpy_page', 'memzero_page', 'copy_page', 'copy_highpage',
	'clear_highpage', 'copy_to_user_page', 'copy_from_user_page',
	'flush_dcache_page', 'kmap_to_page', 'zero_user', 'zero_user_segment',
	'copy_page_to_iter', 'copy_page_from_iter', 'vm_map_ram',
	'kmap_local_folio', 'memcpy_from_folio', 'memcpy_to_folio',
])
# Functions that may see the pages or their container without keeping or
# releasing them.
HARMLESS = frozenset([
	'dma_unmap_page', 'dma_unmap_page_attrs', 'dma_unmap_sg',
	'dma_unmap_sg_attrs', 'dma_unmap_sgtable', 'dma_unmap_single',
	'pci_unmap_page', 'pci_unmap_sg', 'pci_unmap_single',
	'dma_sync_sg_for_cpu', 'dma_sync_sg_for_device',
	'dma_sync_sgtable_for_cpu', 'dma_sync_sgtable_for_device',
	'pci_dma_sync_sg_for_cpu', 'pci_dma_sync_sg_for_device',
	'ib_dma_unmap_sg', 'ib_dma_unmap_page', 'sg_free_table',
	'sg_free_append_table', 'sg_next', 'sg_page', 'sg_dma_address',
	'sg_dma_len', 'sg_init_table', 'sg_mark_end', 'sg_nents',
	'sg_nents_for_len', 'sg_virt', 'sg_alloc_table', 'sg_init_one',
	'bio_put', 'bio_init', 'bio_uninit', 'bio_reset', 'bio_set_dev',
	'submit_bio_wait', 'bio_alloc', 'bio_kmalloc', 'bio_endio',
	'kunmap', 'kunmap_atomic', 'kunmap_local', 'vunmap', 'page_to_nid',
	'page_to_pfn', 'dump_page',
	'page_folio', 'page_count', 'page_mapcount', 'nth_page', 'memcmp',
	'kfree', 'kvfree', 'vfree', 'free_pages_exact', 'sizeof', 'ARRAY_SIZE',
	'likely', 'unlikely', 'IS_ERR', 'IS_ERR_OR_NULL', 'PTR_ERR', 'min',
	'max', 'min_t', 'max_t', 'array_size', 'struct_size', 'printk',
	'offset_in_page', 'page_size', 'page_ref_count', 'compound_head',
	'is_zone_device_page', 'memset', 'kmemleak_ignore', 'BUG_ON',
	'WARN_ON', 'WARN_ON_ONCE', 'put_user_pages', 'PageHighMem',
	'PageReserved', 'PageCompound', 'PageLocked', 'lock_page',
	'unlock_page', 'trylock_page', 'PageAnon', 'PageSwapBacked',
	'wait_on_page_writeback', 'folio_wait_writeback', 'compound_order',
	'compound_nr', 'thp_nr_pages', 'folio_nr_pages', 'page_zone',
	'page_mapping', 'page_to_virt', 'PageTransHuge', 'dma_mapping_error',
	'sg_set_buf', 'sg_chain', 'sg_unmark_end', 'sg_dma_page_iter',
	'for_each_sg', 'list_add', 'list_add_tail', 'list_del', 'INIT_LIST_HEAD',
	'spin_lock', 'spin_unlock', 'spin_lock_irqsave', 'spin_unlock_irqrestore',
	'mutex_lock', 'mutex_unlock', 'atomic_set', 'atomic_read', 'memcpy',
	'get_order', 'ALIGN', 'PAGE_ALIGN', 'DIV_ROUND_UP', 'kref_init',
	'kref_get', 'init_completion', 'complete', 'wait_for_completion',
]) | CPU_USERS | DIRTY
# memcpy(dst, src, n) of page pointers copies the ownership.
COPIES = frozenset(['memcpy', 'memmove'])
# Calls that hand back (part of) what they are given.
UNWRAP = frozenset(['sg_page', 'nth_page', 'compound_head', 'page_folio',
		    'sg_page_iter_page'])
# sg_table members: sgt->sgl is the table's pages.
SUBFIELDS = frozenset(['sgl', 'nents', 'orig_nents'])
SCALAR = re.compile(r'^(const\s+|volatile\s+)*(unsigned|signed|int|long|short|'
		    r'char|bool|_Bool|size_t|ssize_t|[us](8|16|32|64)|__[us]'
		    r'(8|16|32|64)|u?int(8|16|32|64)_t|dma_addr_t|phys_addr_t|'
		    r'resource_size_t|loff_t|off_t|pgoff_t|gfp_t|enum\b|'
		    r'atomic_t|spinlock_t|struct mutex\b)[^*]*$')


# Per-file state.  spatch may be given several files at once (they are
# then transformed together, rule by rule), and it renames a file after
# every rule that changed it (cocci_small_output-PID-RANDOM-name.c, with
# shifted lines), so the state is kept per original file, found again by
# its base name, and nothing in the patch rules is keyed by line.
FILES = {}
STATE = ('SITES', 'CALLS', 'ASSIGNS', 'RETURNS', 'ITERS', 'DECLS', 'PARAMS',
	 'FUNCS', 'STATIC', 'TYPES', 'VERDICT', 'APPROVED', 'GET_FNS', 'FLAGS',
	 'IFDEF_CALLS', 'REBUILD')
RENAMED = re.compile(r'^(.*/)?cocci_small_output-\d+-[0-9a-f]+-')


def new_state():
	return {
		'SITES': [],	# [site]
		'CALLS': {},	# fn -> [(callee, [args], line)]
		'ASSIGNS': {},	# fn -> [(lhs, rhs)]
		'RETURNS': {},	# fn -> [expr]
		'ITERS': {},	# fn -> [(iterator, [args])]
		'DECLS': {},	# fn -> set(local variable names)
		'PARAMS': {},	# fn -> [(line, column, name)]
		'FUNCS': {},	# fn -> number of definitions (#ifdef variants)
		'STATIC': set(),	# static functions
		'TYPES': {},	# (fn, name) -> type of a local or parameter
		'VERDICT': {},	# (line, column) of a get call -> message
		'APPROVED': set(),	# (fn, callee, args) of the calls to convert
		'GET_FNS': set(),	# functions whose get calls are converted
		# (fn, callee, argument text) -> arguments a 6.12 build sees,
		# or None, for calls with an #if inside their arguments: the
		# patch rules look them up by text, as lines move once a rule
		# has changed the function
		'IFDEF_CALLS': {},
		# (fn, callee, argument text) -> the rebuilt 6.12 call, for a
		# get with an #if in its arguments whose 6.12 form needs new
		# arguments: its assignment statement is rewritten whole
		'REBUILD': {},
		'FLAGS': {'done': False, 'unseen': False},
	}


def select(path):
	"""Make the state of the file being processed the current one."""
	global CUR
	path = str(path)
	if RENAMED.match(path):
		base = RENAMED.sub('', path)
		orig = [f for f in FILES if os.path.basename(f) == base]
		if len(orig) != 1:
			raise Exception('gup_to_pin: %d files named %s in one spatch '
					'run; give them one at a time' %
					(len(orig), base))
		path = orig[0]
	CUR = path
	globals().update(FILES.setdefault(path, new_state()))


select('<none>')


def fkey(p):
	return p.current_element


def add(d, k, v):
	d.setdefault(k, []).append(v)


def norm(s):
	return re.sub(r'\s+', '', str(s))


def call_key(fn, callee, args):
	return (fn, str(callee), norm(','.join(str(x) for x in args)))


def toks(s):
	return re.findall(r'->|[A-Za-z_]\w*|\d\w*|\S', s)


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


def split_args(s):
	out, d, cur = [], 0, ''
	for c in s:
		if c in '([':
			d += 1
		elif c in ')]':
			d -= 1
		if c == ',' and d == 0:
			out.append(cur.strip())
			cur = ''
		else:
			cur += c
	out.append(cur.strip())
	return out


def strip(s):
	"""Drop casts and outer parentheses."""
	s = str(s).strip()
	while True:
		m = re.match(r'^\(\s*((?:const|volatile|unsigned|signed|long|'
			     r'short|struct|enum)\s+)*\w+(\s*\*)*\s*\)\s*(.+)$',
			     s, re.S)
		if m and not re.match(r'^\(\s*\w+\s*\)$', s) and balanced(m.group(3)):
			s = m.group(3).strip()
			continue
		if s.startswith('(') and s.endswith(')') and balanced(s[1:-1]):
			s = s[1:-1].strip()
			continue
		return s


def is_ident(t):
	return re.match(r'^[A-Za-z_]\w*$', t) is not None


def var_node(fn, name):
	if name in ('NULL', 'current') or name.isupper():
		return None
	if name in DECLS.get(fn, ()) or name in params_of(fn):
		if SCALAR.match(TYPES.get((fn, name), '')) and \
		   not int_pointer(name):
			return None
		return ('l', fn, name)
	if name in FUNCS:
		return None
	return ('g', name)


def int_pointer(name):
	"""Is a variable of that name cast to a structure pointer somewhere
	in the file ((struct page **)(uintptr_t)v)?  Then an integer of that
	name may carry a page array."""
	cache = FLAGS.setdefault('int_ptr', {})
	if name not in cache:
		cache[name] = re.search(
			r'\(\s*(const\s+)?struct\s+\w+\s*\*+\s*\)\s*'
			r'(\(\s*\w+\s*\)\s*)?%s\b' % re.escape(name),
			_text()) is not None
	return cache[name]


def params_of(fn):
	"""The parameters of fn, in order."""
	return [n for l, c, n in sorted(PARAMS.get(fn, []))]


def param_names(fn):
	"""The parameters of fn whose incoming value may be read."""
	dead = dead_params(fn)
	return [n for n in params_of(fn) if n not in dead]


def dead_params(fn):
	"""Parameters of fn that every definition of fn overwrites before
	any read: what callers pass in never reaches the function, which
	then holds them as locals."""
	cache = FLAGS.setdefault('dead', {})
	if fn not in cache:
		alive = set()
		names = set()
		for line, col, name in PARAMS.get(fn, []):
			names.add(name)
			if not _dead_at(line, col, name):
				alive.add(name)
		cache[fn] = names - alive
	return cache[fn]


def _dead_at(line, col, name):
	"""Is the parameter name, declared at (line, col), assigned by the
	first statement of the body that names it, at the body's top level,
	with no label, goto or preprocessor line before it (then every path
	passes the assignment first), and not read by its right-hand side
	(sizeof aside)?"""
	text = _text()
	lines = text.split('\n')
	if not 0 < line <= len(lines) or re.search(
	   r'^[ \t]*#[ \t]*define\b.*\b%s\b' % re.escape(name), text, re.M):
		# a macro of the file that names it may read it
		return False
	start = sum(len(x) + 1 for x in lines[:line - 1])
	m = re.compile(r'\b%s\b' % re.escape(name)).search(
		text, start + max(col - 1, 0))
	if not m:
		return False
	i, depth = m.end(), 1
	while i < len(text) and depth:
		depth += {'(': 1, ')': -1}.get(text[i], 0)
		i += 1
	m = re.compile(r'\s*\{').match(text, i)
	if depth or not m:
		return False
	i, depth = m.end(), 1
	body_start = i
	while i < len(text) and depth:
		depth += {'{': 1, '}': -1}.get(text[i], 0)
		i += 1
	body = text[body_start:i - 1]
	use = re.compile(r'(?<![\w.>])%s\b' % re.escape(name)).search(body)
	if not use:
		return False
	before = body[:use.start()]
	if before.count('{') != before.count('}') or \
	   re.search(r'\bgoto\b|^[ \t]*#|(^|[;{}])\s*[A-Za-z_]\w*\s*:(?!:)',
		     before, re.M) or \
	   not re.search(r'(^|[;{}])\s*$', before):
		return False
	m = re.compile(r'\s*=(?!=)([^;]*);').match(body, use.end())
	if not m or not balanced(m.group(1)):
		return False
	rhs = re.sub(r'\bsizeof\s*\(\s*\**\s*%s\s*\)|\bsizeof\s+\**%s\b' %
		     (re.escape(name), re.escape(name)), '', m.group(1))
	return re.search(r'\b%s\b' % re.escape(name), rhs) is None


def node_of(fn, e):
	"""The holder of the pages named by e, or None.  Holders are a local
	('l', fn, name), a global ('g', name), a structure field ('f', name)
	of any structure of the file, or a function's return value
	('r', fn)."""
	s = strip(e)
	while True:
		m = re.match(r'^([A-Za-z_]\w*)\s*\((.*)\)$', s, re.S)
		if m and balanced(m.group(2)):
			if m.group(1) in UNWRAP:
				s = strip(split_args(m.group(2))[0])
				continue
			if m.group(1) in FUNCS:
				return ('r', m.group(1))
			return None
		if s[:1] in ('&', '*'):
			s = strip(s[1:])
			continue
		break
	t = toks(s)
	if not t or not is_ident(t[0]):
		return None
	root, fields, i = t[0], [], 1
	while i < len(t):
		if t[i] in ('->', '.') and i + 1 < len(t) and is_ident(t[i + 1]):
			fields.append(t[i + 1])
			i += 2
		elif t[i] == '[':
			d = 0
			while i < len(t):
				d += {'[': 1, ']': -1}.get(t[i], 0)
				if d == 0:
					break
				i += 1
			i += 1
		elif t[i] in ('+', '-') and i > 0:
			break
		else:
			return None
	# sgt->sgl and obj->sgt.sgl are the table: only for an sg_table
	while fields and fields[-1] in SUBFIELDS and \
	      (len(fields) > 1 or 'sg_table' in TYPES.get((fn, root), '')):
		fields.pop()
	if fields and root in DECLS.get(fn, ()) and \
	   not re.search(r'[*\[]', TYPES.get((fn, root), '*')):
		# a member of a structure on the stack is a local
		return ('l', fn, '.'.join([root] + fields))
	if fields:
		return ('f', fields[-1])
	return var_node(fn, root)


def nodes_in(fn, e):
	"""Every holder named anywhere in e, nested calls included."""
	found = set()
	t = toks(str(e))
	i = 0
	while i < len(t):
		if is_ident(t[i]) and (i == 0 or t[i - 1] not in ('->', '.')) and \
		   (i + 1 >= len(t) or t[i + 1] != '('):
			j, fields = i + 1, []
			while j + 1 < len(t) and t[j] in ('->', '.') and \
			      is_ident(t[j + 1]):
				fields.append(t[j + 1])
				j += 2
			n = node_of(fn, ' '.join(t[i:j]))
			if n:
				found.add(n)
			i = j
		else:
			i += 1
	return found


def written(flags):
	"""Does the get ask for write access (FOLL_WRITE, or an old "write"
	argument that is not 0)?"""
	return flags is not None and ('FOLL_WRITE' in flags or
				      strip(flags) not in ('0', 'FOLL_GET', ''))


def operand(v):
	"""v, in parentheses unless it is one operand: text pasted next to
	an operator must keep its meaning ("w ? 1 : 0 ? FOLL_WRITE : 0" or
	"f ? FOLL_WRITE : 0 | FOLL_LONGTERM" would not)."""
	v = strip(v)
	if re.fullmatch(r'!?\w+((->|\.)\w+|\[[^\[\]]*\])*(\([^()]*\))?', v):
		return v
	return '(%s)' % v


def foll_flags(write, force):
	parts = []
	for v, flag in ((write, 'FOLL_WRITE'), (force, 'FOLL_FORCE')):
		v = strip(v)
		if v in ('0', 'false'):
			continue
		if v in ('1', 'true'):
			parts.append(flag)
			continue
		parts.append('(%s ? %s : 0)' % (operand(v), flag))
	return ' | '.join(parts) or '0'


def is_null(s):
	return strip(s) in ('NULL', '0')


def gup_shape(name, a):
	"""For a call name(a...): (pages, flags, vmas, new call text or None
	for a plain rename, veto) where pages, flags and vmas are argument
	texts or None."""
	n = len(a)
	cur = n > 1 and strip(a[0]) == 'current' and \
		norm(strip(a[1])) == 'current->mm'
	if name in ('get_user_pages_locked', '__get_user_pages_fast',
		    'get_user_pages_fast_only'):
		return (None, None, None, None,
			('no-pin-variant', '6.12 has no pin_user_pages*() '
			 'counterpart of %s()' % name))
	if name == 'get_user_pages' and n == 4:
		return a[3], a[2], None, None, None
	if name == 'get_user_pages' and n == 5:
		return a[3], a[2], a[4], 'pin_user_pages(%s, %s, %s, %s)' % \
			tuple(a[:4]), None
	if name == 'get_user_pages' and n == 6:
		return a[4], a[2], a[5], 'pin_user_pages(%s, %s, %s, %s)' % (
			a[0], a[1], foll_flags(a[2], a[3]), a[4]), None
	if name == 'get_user_pages' and n == 7 and cur:
		# tsk/mm under #if next to the 4.9+ argument list
		return a[5], a[4], a[6], 'pin_user_pages(%s, %s, %s, %s)' % \
			tuple(a[2:6]), None
	if name == 'get_user_pages' and n == 8:
		fl = foll_flags(a[4], a[5])
		if cur:
			new = 'pin_user_pages(%s, %s, %s, %s)' % (a[2], a[3], fl,
								   a[6])
		else:
			new = 'pin_user_pages_remote(%s, %s, %s, %s, %s, NULL)' % (
				a[1], a[2], a[3], fl, a[6])
		return a[6], a[4], a[7], new, None
	if name == 'get_user_pages_longterm' and n == 5:
		return a[3], a[2], a[4], 'pin_user_pages(%s, %s, %s | ' \
			'FOLL_LONGTERM, %s)' % (a[0], a[1], operand(a[2]),
						a[3]), None
	if name == 'get_user_pages_fast' and n == 4:
		return a[3], a[2], None, None, None
	if name == 'get_user_pages_unlocked' and n == 4:
		return a[2], a[3], None, None, None
	if name == 'get_user_pages_unlocked' and n == 5:
		return a[4], a[2], None, 'pin_user_pages_unlocked(%s, %s, %s, ' \
			'%s)' % (a[0], a[1], a[4], foll_flags(a[2], a[3])), None
	if name == 'get_user_pages_unlocked' and n == 7 and cur:
		return a[6], a[4], None, 'pin_user_pages_unlocked(%s, %s, %s, ' \
			'%s)' % (a[2], a[3], a[6], foll_flags(a[4], a[5])), None
	if name == 'get_user_pages_remote' and n == 6:
		return a[4], a[3], None, None, None
	if name == 'get_user_pages_remote' and n == 7:
		if strip(a[0]) == 'current' or 'mm' in a[1] and 'mm' not in a[0]:
			# (tsk, mm, start, nr, flags, pages, vmas)
			return a[5], a[4], a[6], 'pin_user_pages_remote(%s, %s, ' \
				'%s, %s, %s, NULL)' % tuple(a[1:6]), None
		# (mm, start, nr, flags, pages, vmas, locked)
		return a[4], a[3], a[5], 'pin_user_pages_remote(%s, %s, %s, %s, ' \
			'%s, %s)' % (a[0], a[1], a[2], a[3], a[4], a[6]), None
	if name == 'get_user_pages_remote' and n == 8:
		if strip(a[5]) in ('0', '1') or 'force' in a[5]:
			# (tsk, mm, start, nr, write, force, pages, vmas)
			return a[6], a[4], a[7], 'pin_user_pages_remote(%s, %s, ' \
				'%s, %s, %s, NULL)' % (a[1], a[2], a[3],
						       foll_flags(a[4], a[5]),
						       a[6]), None
		# (tsk, mm, start, nr, flags, pages, vmas, locked)
		return a[5], a[4], a[6], 'pin_user_pages_remote(%s, %s, %s, %s, ' \
			'%s, %s)' % (a[1], a[2], a[3], a[4], a[5], a[7]), None
	return (None, None, None, None,
		('bad-args', 'argument list of %s() not recognised (%d '
		 'arguments)' % (name, n)))
ARRAY_ALLOCS = frozenset([
	'kmalloc', 'kzalloc', 'kcalloc', 'kmalloc_array', 'kvmalloc',
	'kvzalloc', 'kvcalloc', 'kvmalloc_array', 'vmalloc', 'vzalloc',
	'__vmalloc', 'vmalloc_array', 'vcalloc', 'devm_kzalloc', 'devm_kcalloc',
	'devm_kmalloc', 'devm_kmalloc_array', '__get_free_page',
	'__get_free_pages', 'get_zeroed_page', 'krealloc', 'krealloc_array',
	'kmalloc_node', 'kzalloc_node', 'kcalloc_node', 'vzalloc_node',
	'vmalloc_node', 'kmem_cache_alloc', 'kmem_cache_zalloc', 'ERR_PTR',
])


class Classes:
	"""Union-find over page holders: two holders are in one class when
	the pages of one may be in the other."""

	def __init__(self):
		self.up = {}

	def find(self, x):
		self.up.setdefault(x, x)
		while self.up[x] != x:
			self.up[x] = self.up[self.up[x]]
			x = self.up[x]
		return x

	def union(self, a, b):
		if a is not None and b is not None:
			self.up[self.find(a)] = self.find(b)


def call_name(s):
	m = re.match(r'^([A-Za-z_]\w*)\s*\((.*)\)$', strip(s), re.S)
	return m.group(1) if m and balanced(m.group(2)) else None


def link(cl, taint, fn, lhs, rhs):
	"""lhs = rhs: join the holders, or note where foreign pages come
	from."""
	ln = node_of(fn, lhs)
	if ln is None:
		return
	f = call_name(rhs)
	if f in PAGE_SOURCES:
		taint.setdefault(ln, set()).add(f)
	elif f is not None and f not in FUNCS and f not in UNWRAP and \
	     f not in ARRAY_ALLOCS and f not in HARMLESS and \
	     not alloc_wrapper(f, rhs) and \
	     f not in DMA_USERS and ln[0] == 'l' and \
	     re.search(r'structpage\*|structsg_table\*|structscatterlist\*',
		       norm(TYPES.get(ln[1:], ''))):
		# pages, or a table of pages, that some other code made
		taint.setdefault(ln, set()).add(f)
	else:
		cl.union(ln, node_of(fn, rhs))


def branches(e):
	"""The values a conditional expression c ? a : b may have (nested
	ones too), or [e]."""
	e = strip(e)
	d, q = 0, -1
	for i, c in enumerate(e):
		if c in '([':
			d += 1
		elif c in ')]':
			d -= 1
		elif c == '?' and d == 0 and q < 0:
			q = i
		elif c == ':' and d == 0 and q >= 0:
			# GNU "a ?: b" yields a itself
			then = e[q + 1:i] if e[q + 1:i].strip() else e[:q]
			return branches(then) + branches(e[i + 1:])
	return [e]


# Page allocators: a file that calls one may hand out, and take back
# from an address, pages that are not a get's.
PAGE_ALLOCS = (PAGE_SOURCES - REFLESS_SOURCES) | frozenset([
	'__get_free_page', '__get_free_pages', 'get_zeroed_page',
	'alloc_pages_exact', 'alloc_pages_exact_nid'])
# How pages leave as an address, and how a page is made back from one.
ADDR_KINDS = (
	(re.compile(r'\bpage_to_(pfn|phys)\s*\('), ('pfn_to_page', 'phys_to_page')),
	(re.compile(r'\b(kmap|page_address)\s*\('), ('kmap_to_page',)),
)


def pair_by_address(cl, taint):
	"""Pages that leave the file's only get as a physical address or a
	frame number stored or handed on (to a device, to user space), or as
	a kmap()/page_address() address kept beyond the function, and come
	back through pfn_to_page()/phys_to_page(), or kmap_to_page(), to be
	released: join the holders that get them back to the get's.  Only
	when no other get's pages leave so, the file calls no page
	allocator and takes no extra reference, and every field or global
	that the page is made back from holds only such addresses (or
	NULL): then a page made from an address can only be a page of this
	get, or a page a correct driver never put_page()s."""
	if any(f in EXTRA_REFS or f in PAGE_ALLOCS
	       for calls in CALLS.values() for f, a, line in calls):
		return
	roots = set(cl.find(s['node']) for s in SITES if s['node'] is not None)
	for pat, makers in ADDR_KINDS:
		out = set()
		for fn, assigns in ASSIGNS.items():
			for lhs, rhs in assigns:
				held = node_of(fn, lhs)
				# a frame number kept (not only compared); a
				# kernel address kept beyond the function
				if pat.search(rhs) and (makers[0] == 'pfn_to_page' or
							held is not None and
							held[0] != 'l'):
					out |= set(cl.find(n) for n in nodes_in(fn, rhs)
						   if cl.find(n) in roots)
		for fn, calls in CALLS.items():
			for f, a, line in calls:
				if makers[0] == 'pfn_to_page' and \
				   not pat.match(f + '(') and \
				   not DEBUG_CALL.match(f) and f not in HARMLESS:
					out |= set(cl.find(n) for x in a if pat.search(x)
						   for n in nodes_in(fn, x)
						   if cl.find(n) in roots)
		if len(out) == 1:
			_pair_back(cl, out.pop(), roots, makers, pat)


def _pair_back(cl, target, roots, makers, pat):
	"""Join to target the holders of released pages made back by one of
	makers, when what they are made from is only ever such an address."""
	back = set()
	for fn, assigns in ASSIGNS.items():
		for lhs, rhs in assigns:
			m = re.match(r'^(\w+)\s*\((.*)\)$', strip(rhs), re.S)
			held = node_of(fn, lhs)
			if not m or m.group(1) not in makers or held is None or \
			   cl.find(held) in roots:
				continue
			for h in nodes_in(fn, m.group(2)):
				if h[0] in 'fg' and not all(
				   pat.search(r2) or is_null(strip(r2))
				   for f2, assigns2 in ASSIGNS.items()
				   for l2, r2 in assigns2 if node_of(f2, l2) == h):
					break
			else:
				back.add(cl.find(held))
	rels = [(fn, a) for fn, calls in CALLS.items() for f, a, line in calls
		if f in CONV_RELEASES and a]
	for r in sorted(back):
		if any(n is not None and cl.find(n) == r
		       for n in (node_of(fn, a[0]) for fn, a in rels)):
			cl.union(r, target)


def end_ios():
	"""The file's bio->bi_end_io = fn assignments with fn a function of
	the file: [(function, bio expression, fn)]."""
	if 'end_ios' not in FLAGS:
		FLAGS['end_ios'] = [
			(fn, m.group(1), strip(rhs).lstrip('&').strip())
			for fn, assigns in sorted(ASSIGNS.items())
			for lhs, rhs in assigns
			for m in [re.match(r'^(.*\S)\s*(->|\.)\s*bi_end_io$',
					   strip(lhs))]
			if m and strip(rhs).lstrip('&').strip() in FUNCS]
	return FLAGS['end_ios']


def end_io_param(n):
	"""Is local node n the bio parameter of a bi_end_io callback of the
	file that is used as a value only in bi_end_io assignments?  The
	block layer hands it back the bio it was set on."""
	fn = n[1]
	ps = params_of(fn)
	if not ps or n[2] != ps[0] or fn not in STATIC or \
	   not any(h == fn for e, b, h in end_ios()):
		return False
	text = ALIAS_DEF.sub('', source() or '')
	values = len(re.findall(r'\b%s\b(?!\s*\()' % re.escape(fn), text))
	ends = len(re.findall(r'\bbi_end_io\s*=\s*&?\s*%s\b' % re.escape(fn),
			      text))
	return values == ends


def stray_releases(cl, taint, groups):
	"""Releases that no get of the file is known to feed and whose pages
	come from nowhere the file shows (a callback's parameter, a bio
	walked with bio_for_each_segment_all(), ...), and releases in code
	spatch could not parse: [(line, call, why)].  Any of them may drop
	the pages of a get, so none of the file's gets is converted."""
	roots = set(k for k in groups if k[0] != 'site')
	# holders fed by a known source; one fed by a function of another
	# file may hold anything
	fed = set(cl.find(n) for n, t in taint.items() if t & PAGE_SOURCES)
	out = []
	for fn, calls in sorted(CALLS.items()):
		for f, a, line in calls:
			t = alias_targets(f) or set()
			if not a or f not in CONV_RELEASES and \
			   not t & CONV_RELEASES:
				continue
			n = node_of(fn, a[0])
			g = call_name(a[0])
			if n is not None and cl.find(n) not in roots | fed or \
			   n is None and g is not None and g not in PAGE_SOURCES:
				out.append((line, '%s(%s)' % (f, a[0]), 'releases '
					    'pages whose source this file does '
					    'not show'))
	text = source() or ''
	seen = set((f, line) for calls in CALLS.values() for f, a, line in calls)
	for m in re.finditer(r'\b(%s)\s*\(' % '|'.join(sorted(CONV_RELEASES)),
			     text):
		start = text.rfind('\n', 0, m.start()) + 1
		before = text[start:m.start()]
		line = text.count('\n', 0, m.start()) + 1
		if (m.group(1), line) in seen or \
		   before.lstrip().startswith('#') or \
		   re.search(r'(\b(long|int|void|extern|static|inline)\s+|'
			     r'\*\s*)$', before):
			continue
		out.append((line, '%s()' % m.group(1), 'is in code spatch '
			    'could not parse'))
	return sorted(out)


def build_classes():
	cl, taint = Classes(), {}
	for fn, assigns in ASSIGNS.items():
		for lhs, rhs in assigns:
			for r in branches(rhs):
				link(cl, taint, fn, lhs, r)
	for fn, rets in RETURNS.items():
		for e in rets:
			for r in branches(e):
				cl.union(('r', fn), node_of(fn, r))
	for fn, bio, h in end_ios():
		ps = params_of(h)
		if ps:
			cl.union(node_of(fn, bio), var_node(h, ps[0]))
	for fn, iters in ITERS.items():
		for it, a in iters:
			if it.startswith('for_each_sg') and len(a) >= 2:
				cl.union(node_of(fn, a[0]), node_of(fn, a[1]))
			elif it.startswith('bio_for_each_') and len(a) >= 2:
				# (bvec, bio, ...): bvec->bv_page is a page
				# of the bio
				cl.union(node_of(fn, a[0]), node_of(fn, a[1]))
				cl.union(('f', 'bv_page'), node_of(fn, a[1]))
	for fn, calls in CALLS.items():
		for f, a, line in calls:
			if f in FUNCS and FUNCS[f] >= 1:
				ps = params_of(f)
				dead = dead_params(f)
				for k, x in enumerate(a[:len(ps)]):
					if ps[k] not in dead:
						cl.union(node_of(fn, x),
							 var_node(f, ps[k]))
			elif f in CONTAINER_SINKS and len(a) > SINK_ARGS[f][1]:
				link(cl, taint, fn, a[SINK_ARGS[f][0]],
				     a[SINK_ARGS[f][1]])
			elif f in COPIES and len(a) >= 2:
				cl.union(node_of(fn, a[0]), node_of(fn, a[1]))
	return cl, taint


def fn_nodes():
	"""Holders each function touches."""
	touched = {}
	for fn in set(CALLS) | set(ASSIGNS) | set(RETURNS):
		s = set()
		for f, a, line in CALLS.get(fn, []):
			for x in a:
				s |= nodes_in(fn, x)
		for lhs, rhs in ASSIGNS.get(fn, []):
			s |= nodes_in(fn, lhs) | nodes_in(fn, rhs)
		touched[fn] = s
	return touched


def release_args_ok(f, a):
	if f == 'release_pages':
		return len(a) in (2, 3)	# before 4.15: a third "cold" argument
	return len(a) == {'put_page': 1, 'page_cache_release': 1,
			  'put_user_page': 1, 'release_pages': 2,
			  'put_user_pages': 2, 'put_user_pages_dirty': 2}.get(
				  f, 3 if f == 'put_user_pages_dirty_lock' and
				  len(a) == 3 else 2)


def judge(cl, taint, touched, sites):
	"""Everything about one class of holders: (vetoes, releases,
	users) where users is 'dma', 'cpu-write', 'cpu-read-only' or
	'unknown-user'."""
	root = cl.find(sites[0]['node'])

	def mine(n):
		return n is not None and cl.find(n) == root

	members = set(n for n in list(cl.up) if mine(n))
	if os.environ.get('GUP_TO_PIN_DEBUG'):
		print('class of %s: %s' % (', '.join('L%d' % s['line']
						     for s in sites),
					   sorted(members)))
	vetoes, rels = [], []
	dma = dirty = cpu = False
	fns = set(fn for fn, s in touched.items() if any(mine(n) for n in s))
	fns |= set(s['fn'] for s in sites)
	for s in sites:
		if s['veto']:
			veto(vetoes, *s['veto'])
		if s['ifdef'] and not s['ifdef_ok']:
			veto(vetoes, 'ifdef-args', 'an #if inside the arguments of '
			     '%s() at line %d that cannot be evaluated for 6.12, '
			     'or whose 6.12 arguments need more than a rename: '
			     'convert it by hand' % (s['name'], s['line']))
		if s['vmas'] is not None and not is_null(s['vmas']):
			veto(vetoes, 'vmas', '%s() at line %d fills a vmas array '
			     '(%s); pin_user_pages*() has no such argument' %
			     (s['name'], s['line'], s['vmas']))
		if FUNCS.get(s['fn'], 0) == 0:
			veto(vetoes, 'macro', 'call at line %d is not inside a '
			     'function body (macro?), cannot follow its pages' %
			     s['line'])
	for fn in sorted(fns):
		if FUNCS.get(fn, 0) > 1:
			veto(vetoes, 'duplicate-fn', '%s() is defined %d times '
			     '(#ifdef variants?), cannot tell them apart' %
			     (fn, FUNCS[fn]))
	for fn, calls in sorted(CALLS.items()):
		for f, a, line in calls:
			if f in GUP_NAMES:
				continue
			f = compat_init(resolve_alias(f), a)
			direct = [node_of(fn, x) for x in a]
			hit = any(mine(n) for n in direct) or \
				any(holds_member(fn, x, members) for x in a)
			deep = hit or any(mine(n) for x in a
					  for n in nodes_in(fn, x))
			if f in RELEASES:
				if a and mine(direct[0]):
					eff = ifdef_args(line, f) if \
						directive_in_call(line, f) else a
					if eff is not a and (eff is None or
							     f not in IFDEF_RENAMES or
							     len(eff) != 2):
						veto(vetoes, 'ifdef-args', 'an #if '
						     'inside the arguments of %s() at '
						     'line %d that cannot be evaluated '
						     'for 6.12, or whose 6.12 '
						     'arguments need more than a '
						     'rename: convert it by hand' %
						     (f, line))
					elif eff is not a:
						rels.append((fn, f, eff, line))
					elif f in CONV_RELEASES and \
					   release_args_ok(f, a):
						rels.append((fn, f, a, line))
						dirty |= 'dirty' in f
					else:
						veto(vetoes, 'unmatched-release',
						     '%s(%s) at line %d releases '
						     'the pages in a way that cannot '
						     'be converted' % (f, ', '.join(a),
								       line))
				elif a and direct[0] is None and fn in fns:
					veto(vetoes, 'unmatched-release',
					     '%s(%s) at line %d in %s() cannot be '
					     'matched to the pages or to other '
					     'pages' % (f, ', '.join(a), line, fn))
				continue
			if not deep:
				continue
			# a page frame number handed on to another function
			# (written to a device register, a descriptor, a
			# hypercall) is a device address; one only compared or
			# printed is not
			if f not in HARMLESS and not DEBUG_CALL.match(f) and any(
			   re.search(r'\bpage_to_pfn\s*\(', x) and
			   any(mine(n) for n in nodes_in(fn, x)) for x in a):
				dma = True
			if f in EXTRA_REFS:
				veto(vetoes, 'extra-ref', '%s() at line %d takes an '
				     'extra reference that a put_page() may '
				     'drop' % (f, line))
			elif f in ('submit_bio', 'submit_bio_noacct') and \
			     any(mine(node_of(e, b)) for e, b, h in end_ios()):
				# the block layer DMAs and calls back this
				# bi_end_io of the file with the bio
				dma = True
			elif f in DMA_USERS or f.startswith('dmaengine_prep_'):
				dma = True
			elif f in DIRTY:
				dirty = True
			elif f in CPU_USERS:
				cpu = True
			elif f in FUNCS or f in HARMLESS or f in COPIES or \
			     DEBUG_CALL.match(f):
				pass
			elif hit:
				veto(vetoes, 'escape-call', 'pages handed to %s() at '
				     'line %d, which may keep or release them' %
				     (f, line))
	site_fns = set(s['fn'] for s in sites)
	# the pages leave as a frame number or physical address, and some
	# release turns one back into a page: it may be one of these
	made = set(cl.find(n) for n, t in taint.items() if t & MADE_SOURCES)
	back = sorted(line for fn, calls in CALLS.items()
		      for f, a, line in calls if f in RELEASES and a and (any(
			      re.search(r'\b(%s)\s*\(' % '|'.join(MADE_SOURCES), x)
			      for x in a) or
			      node_of(fn, a[0]) is not None and
			      cl.find(node_of(fn, a[0])) in made))
	back = [line for line in back if line not in set(r[3] for r in rels)]
	# a page made from an address holds no reference of its own: a
	# put_page() of one drops a reference someone took, maybe this get
	if back:
		veto(vetoes, 'pfn-release', 'the release at line %d takes a '
		     'page back from an address: it may release these pages' %
		     back[0])
	for n in sorted(members):
		if n[0] == 'l' and n[2] in param_names(n[1]) and \
		   (n[1] not in CALLED or n[1] in ADDR_TAKEN) and \
		   not end_io_param(n):
			veto(vetoes, 'not-local', 'the pages pass through parameter '
			     '"%s" of %s(), whose callers are not all in this file'
			     % (n[2], n[1]))
		if n[0] == 'r' and (n[1] not in CALLED or n[1] in ADDR_TAKEN) \
		   and n[1] not in FLAGS['dmabuf_maps']:
			veto(vetoes, 'escape-return', 'the pages are returned from '
			     '%s(), whose callers are not all in this file' % n[1])
		if n in taint and not taint[n] <= REFLESS_SOURCES:
			veto(vetoes, 'ambiguous-alias', '"%s" also holds pages '
			     'from %s' % (n[-1], ', '.join(
				     '%s()' % x for x in sorted(taint[n]))))
		if n[0] == 'l' and n[2] in param_names(n[1]) and \
		   n[1] not in STATIC:
			if fills(n, sites):
				veto(vetoes, 'extern-caller %s' % n[1],
				     'the pages pass through parameter "%s" of %s(), '
				     'which is not static: callers outside this '
				     'file may release them' % (n[2], n[1]))
			elif reaches_release(n[1], n[2], rels):
				veto(vetoes, 'extern-release %s' % n[1],
				     '%s() takes the pages as parameter "%s" and '
				     'is not static: callers outside this file may '
				     'hand it other pages to release' % (n[1], n[2]))
		if n[0] == 'r' and n[1] not in STATIC:
			veto(vetoes, 'escape-return', 'the pages are returned '
			     'from %s(), which is not static' % n[1])
	for f in sorted(set(r[0] for r in rels) - site_fns - STATIC):
		veto(vetoes, 'extern-release %s' % f, '%s() releases the pages '
		     'and is not static: callers outside this file may use it '
		     'on other pages, or expect a put_page()' % f)
	kept = [n for n in sorted(members) if n[0] in 'fgr' or n[0] == 'l' and
		n[1] in site_fns and n[2] in param_names(n[1])]
	if kept and rels and all(r[0] in site_fns for r in rels):
		veto(vetoes, 'no-teardown', 'the pages outlive %s() in "%s", and '
		     'no other function of this file releases them' % (
			     '(), '.join(sorted(site_fns)), kept[0][-1]))
	phys = ('page_to_phys', 'page_to_pfn', 'virt_to_phys', '__pa',
		'sg_phys', 'page_to_dma')
	for fn in sorted(fns):
		for lhs, rhs in ASSIGNS.get(fn, []):
			base = toks(strip(lhs).lstrip('*&( '))[:1]
			if not base or base[0] in DECLS.get(fn, ()) and \
			   base[0] not in param_names(fn) or \
			   base[0] in dead_params(fn) or \
			   not re.search(r'\b(%s)\s*\(' % '|'.join(phys), rhs) or \
			   not any(mine(x) for x in nodes_in(fn, rhs)):
				continue
			# an address kept beyond the function is for a device
			dma = True
			if fn in site_fns and rels and \
			   all(r[0] in site_fns for r in rels):
				veto(vetoes, 'escape-phys', 'the address of the pages '
				     'is stored in "%s", which outlives %s(), where '
				     'they are released' % (lhs, fn))
	if not rels:
		veto(vetoes, 'no-release', 'no put_page()/release_pages() of '
		     'the pages in this file: they are released elsewhere')
	if dma:
		users = 'dma'
	elif dirty or cpu and (any(written(s['flags']) for s in sites) or
				cpu_writes(fns, mine)):
		users = 'cpu-write'
	elif cpu:
		users = 'cpu-read-only'
	else:
		users = 'unknown-user'
	return vetoes, rels, users


def alias_targets(f):
	"""What a macro of the file that renames a function (#define f g, or
	#define f(a, b) g(a, b)) names in its #if branches: a set that
	holds None for a branch that is not a plain rename, or None when f
	is no such macro."""
	if 'aliases' not in FLAGS:
		al = {}
		for m in ALIAS_DEF.finditer(_text()):
			same = m.group(2) is None and m.group(5) is None or \
				m.group(2) is not None and m.group(5) is not None \
				and norm(m.group(3)) == norm(m.group(6))
			al.setdefault(m.group(1), set()).add(
				m.group(4) if same else None)
		FLAGS['aliases'] = al
	if f in FUNCS:
		return None
	return FLAGS['aliases'].get(f)


ALIAS_DEF = re.compile(r'^[ \t]*#[ \t]*define[ \t]+(\w+)(\(([\w, \t]*)\))?'
		       r'[ \t]+(\w+)[ \t]*(\(([\w, \t]*)\))?[ \t]*$', re.M)


def alias_kind(t):
	if t in DMA_USERS:
		return 'dma'
	if t in CPU_USERS or t in DIRTY:
		return t
	if t in HARMLESS:
		return 'harmless'
	return None


# Functions that map pages for the CPU, and calls that write through
# their first argument.
MAPPERS = frozenset(['vmap', 'kmap', 'kmap_atomic', 'kmap_local_page',
		     'page_address', 'lowmem_page_address', 'vm_map_ram'])
WRITERS = frozenset(['memcpy', 'memmove', 'memset', 'copy_from_user',
		     '__copy_from_user', 'copy_from_user_inatomic',
		     '__copy_from_user_inatomic', 'strcpy', 'strncpy',
		     'strscpy', 'memcpy_fromio', 'copy_from_iter'])


def cpu_writes(fns, mine):
	"""Does the CPU write to the pages through an address that one of
	MAPPERS gave for them (memcpy() into it, a store through it), even
	though the get did not ask for write access?  Case 5 too."""
	for fn in sorted(fns):
		mapped = set()
		for lhs, rhs in ASSIGNS.get(fn, []):
			if call_name(rhs) in MAPPERS and is_ident(strip(lhs)) and \
			   any(mine(n) for n in nodes_in(fn, rhs)):
				mapped.add(strip(lhs))
		if not mapped:
			continue
		for f, a, line in CALLS.get(fn, []):
			if f in WRITERS and a and mapped & set(toks(a[0])):
				return True
		for lhs, rhs in ASSIGNS.get(fn, []):
			t = toks(lhs)
			if mapped & set(t) and ('[' in t or t[0] == '*'):
				return True
	return False


def resolve_alias(f):
	"""A macro of the file that renames, in every #if branch, a known
	function of one kind: one of them.  Otherwise f itself."""
	targets = alias_targets(f)
	if not targets or None in targets:
		return f
	kinds = set(alias_kind(t) for t in targets)
	if len(kinds) != 1 or None in kinds:
		return f
	return sorted(targets)[0]


def expand_aliases():
	"""A call through a macro of the file that names a function of the
	file in one #if branch and a known helper, or another function of
	the file, in the others (#define drv_map_sg my_map_sg_dumb /
	dma_map_sg_attrs) is taken as a call of each of them: the pages
	must be safe with every branch.  Macros that name a get or a
	release stay as they are."""
	for fn, calls in CALLS.items():
		out = []
		for f, a, line in calls:
			t = alias_targets(f)
			if t and None not in t and any(x in FUNCS for x in t) and \
			   all(x in FUNCS or alias_kind(x) for x in t) and \
			   not t & (RELEASES | EXTRA_REFS | set(GUP_NAMES)):
				out.extend((x, a, line) for x in sorted(t))
			else:
				out.append((f, a, line))
		CALLS[fn] = out


def compat_init(f, a):
	"""A version wrapper from a header of the driver around
	sg_init_table(sgl, nents) (NTV2_LINUX_SG_INIT_TABLE_FUNC,
	compat_sg_init_table, ...): it clears entries before any page is put
	in them and takes no page reference.  Only this one, with its two
	arguments, is guessed from the name."""
	if f in FUNCS:
		return f
	if len(a) == 1 and FREE_WRAPPER.fullmatch(f):
		return 'kfree'
	if len(a) != 2 or 'sg_init_table' not in f.lower():
		return f
	return 'sg_init_table'


# Driver wrappers of the kernel's allocators, from a header or another
# file (vmalloc_ssi(), os_kfree(), ...): by their name, with one
# argument to free, or a size to allocate.
FREE_WRAPPER = re.compile(r'(k|v|kv)free(_\w+)?|\w+_(k|v|kv)free')
ALLOC_WRAPPER = re.compile(r'(k|v|kv)[mzc]?alloc(_\w+)?|\w+_(k|v|kv)[mzc]?alloc')


def alloc_wrapper(f, rhs):
	return f not in FUNCS and ALLOC_WRAPPER.fullmatch(f) is not None and \
		'sizeof' in str(rhs)


def holds_member(fn, arg, members):
	"""Is arg (&s or s) a structure on the stack with a member that
	holds the pages?"""
	root = strip(arg).lstrip('&').strip()
	return is_ident(root) and any(
		n[0] == 'l' and n[1] == fn and n[2].startswith(root + '.')
		for n in members)


def reaches_release(fn, p, rels, seen=()):
	"""Does parameter p of fn reach one of the releases rels, in fn or
	in the functions of the file that fn hands it to?"""
	me = ('l', fn, p)
	if any(r[0] == fn and me in nodes_in(fn, r[2][0]) for r in rels if r[2]):
		return True
	for f, a, line in CALLS.get(fn, []):
		if f not in FUNCS or f in seen:
			continue
		ps = params_of(f)
		for k, x in enumerate(a[:len(ps)]):
			if me in nodes_in(fn, x) and \
			   reaches_release(f, ps[k], rels, seen + (fn,)):
				return True
	return False


def fills(n, sites):
	"""Does the function of parameter node n put pages into it (a get
	call, or a store through it)?  Then its callers hold the pages."""
	fn = n[1]
	if any(s['fn'] == fn and s['node'] == n for s in sites):
		return True
	return any(node_of(fn, lhs) == n for lhs, rhs in ASSIGNS.get(fn, []))


def veto(reasons, tag, msg):
	if (tag, msg) not in reasons:
		reasons.append((tag, msg))


def source(path=None):
	"""The current file (or path) without comments and string literals
	(lines kept), or None."""
	try:
		with open(path or CUR, errors='replace') as f:
			text = f.read()
	except (OSError, TypeError):
		return None
	return re.sub(r'/\*.*?\*/|//[^\n]*|"(\\.|[^"\\\n])*"',
		      lambda m: re.sub(r'[^\n]', ' ', m.group(0)), text, flags=re.S)


def address_taken():
	"""The file's functions that are used as values (callbacks): their
	callers cannot be seen."""
	text = source()
	if text is None:
		return set(FUNCS)
	# a macro that renames a function is not a use of it as a value,
	# but a use of the macro as a value is
	text = ALIAS_DEF.sub('', text)
	alias_targets('')

	def names(fn):
		out, todo = [fn], [fn]
		while todo:
			x = todo.pop()
			for a, t in FLAGS['aliases'].items():
				if x in t and a not in out:
					out.append(a)
					todo.append(a)
		return out
	return set(fn for fn in FUNCS if any(
		re.search(r'\b%s\b(?!\s*\()' % re.escape(x), text)
		for x in names(fn)))


def dmabuf_maps():
	"""The file's dma-buf .map_dma_buf callbacks: the table they return
	goes to the importer, which only reads its DMA addresses and gives it
	back to .unmap_dma_buf; the exporter keeps the pages."""
	text = source() or ''
	return set(re.findall(r'\.\s*map_dma_buf\s*=\s*&?\s*(\w+)', text))


def analyse():
	if FLAGS['done']:
		return
	FLAGS['done'] = True
	for s in SITES:
		pages, flags, vmas, new, v = gup_shape(s['name'], s['args'])
		s.update(flags=flags, vmas=vmas, veto=v, node=None)
		if s.get('rebuild') and \
		   s['key'] not in FLAGS.get('assign_gets', ()):
			s['ifdef_ok'] = False
		if pages is not None and is_null(pages):
			s['veto'] = ('no-pages', 'no pages array: only faults the '
				     'pages in, nothing to pin')
		elif pages is not None:
			s['node'] = node_of(s['fn'], pages)
			if s['node'] is None:
				s['veto'] = ('bad-args', 'pages argument "%s" not '
					     'understood' % pages)
	global CALLED, ADDR_TAKEN
	expand_aliases()
	CALLED = set(f for calls in CALLS.values() for f, a, line in calls)
	ADDR_TAKEN = address_taken()
	FLAGS['called'], FLAGS['addr_taken'] = CALLED, ADDR_TAKEN
	FLAGS['dmabuf_maps'] = dmabuf_maps()
	cl, taint = build_classes()
	touched = fn_nodes()
	pair_by_address(cl, taint)
	groups = {}
	for s in SITES:
		k = cl.find(s['node']) if s['node'] is not None else ('site', s['key'])
		groups.setdefault(k, []).append(s)
	result = {}
	for k, sites in groups.items():
		if sites[0]['node'] is None:
			result[k] = ([sites[0]['veto']], [], 'unknown-user')
		else:
			result[k] = judge(cl, taint, touched, sites)
	strays = stray_releases(cl, taint, groups)
	for k, sites in groups.items():
		if sites[0]['node'] is not None and strays:
			line, call, why = strays[0]
			veto(result[k][0], 'stray-release', '%s at line %d %s: it '
			     'may release these pages' % (call, line, why))
	ok = {}
	for k, (vetoes, rels, users) in result.items():
		if vetoes:
			ok[k] = vetoes
		elif users == 'cpu-read-only':
			ok[k] = [('cpu-read-only', 'the pages are only read by the '
				  'CPU, no DMA and no write: FOLL_GET is '
				  'defensible')]
		elif users == 'unknown-user':
			ok[k] = [('unknown-user', 'no DMA, scatterlist, bio or CPU '
				  'user of the pages found: not known whether '
				  'they need a pin')]
		else:
			ok[k] = []
	# a release that is approved must not share its text with one that is not
	for k, sites in groups.items():
		if ok[k]:
			continue
		for fn, f, a, line in result[k][1]:
			APPROVED.add(call_key(fn, f, a))
		for s in sites:
			GET_FNS.add(s['fn'])
			APPROVED.add(get_key(s['fn'], s['name'], s['args']))
	for k, sites in groups.items():
		vetoes, rels, users = result[k]
		for s in sites:
			if ok[k]:
				tags = []
				for t, m in ok[k]:
					if t not in tags:
						tags.append(t)
				VERDICT[s['key']] = 'keep %s %s: %s' % (
					''.join('[%s]' % t for t in tags),
					s['name'], '; '.join(m for t, m in ok[k]))
				continue
			where = ', '.join('L%d %s()' % (line, fn) for fn, f, a, line
					  in sorted(rels, key=lambda r: r[3]))
			gets = ', '.join('L%d %s()' % (x['line'], x['fn'])
					 for x in sites)
			new = gup_shape(s['name'], s['args'])[3] or \
				s['name'].replace('get_', 'pin_', 1)
			VERDICT[s['key']] = (
				'[convert] %s() -> %s() (%s: %s) at %s -> releases '
				'at %s' % (s['name'], new.split('(')[0], users,
						     'DMA or device address' if users == 'dma'
						     else 'written through the CPU',
						     gets, where))


def get_key(fn, name, args):
	"""A get call is known by its function, name and pages argument:
	FOLL_GET may have been dropped from its flags already."""
	pages = gup_shape(name, args)[0]
	return (fn, 'get:' + name, norm(pages))


def ifdef_call(p, name, es, tail=''):
	"""(True, 6.12 arguments or None) for a call with an #if inside its
	arguments (es, then tail), recorded before any rule changed the file;
	(False, None) otherwise."""
	k = (fkey(p[0]), str(name), norm(es) + tail)
	if k in IFDEF_CALLS:
		return True, IFDEF_CALLS[k]
	return False, None


def site_args(p, name, es):
	"""The arguments of a call as analyse() saw them: as a 6.12 build
	sees them when an #if sits inside them."""
	inside, eff = ifdef_call(p, name, es)
	return eff or args_list(es) if inside else args_list(es)


def conv_site(p, name, es):
	select(p[0].file)
	analyse()
	return get_key(fkey(p[0]), name, site_args(p, name, es)) in APPROVED


def old_site(p, name, es):
	"""A call that is rebuilt: never one with an #if inside."""
	select(p[0].file)
	return conv_site(p, name, es) and not ifdef_call(p, name, es)[0] and \
		not re.search(r'(^|\n)\s*#', str(es))


def rename_drop_vmas(p, es):
	"""get_user_pages() with an #if inside its arguments and a trailing
	NULL vmas outside them: renamed, and the NULL dropped."""
	select(p[0].file)
	analyse()
	inside, eff = ifdef_call(p, 'get_user_pages', es, ',NULL')
	k = (fkey(p[0]), 'get_user_pages', norm(es) + ',NULL')
	return inside and eff is not None and k not in REBUILD and \
		len(eff) == 5 and is_null(eff[4]) and \
		get_key(fkey(p[0]), 'get_user_pages', eff) in APPROVED


def rebuild_text(p, name, es):
	"""The 6.12 call that replaces a get with an #if in its arguments
	whose statement is rewritten whole, or None."""
	select(p[0].file)
	analyse()
	k = (fkey(p[0]), str(name), norm(es))
	if k not in REBUILD or not conv_site(p, name, es):
		return None
	return REBUILD[k]


def conv_rel_ifdef(p, callee, es):
	"""release_pages() or put_user_pages() with an #if inside its
	arguments that a 6.12 build sees as (pages, n): renamed."""
	select(p[0].file)
	analyse()
	inside, eff = ifdef_call(p, callee, es)
	return inside and eff is not None and \
		call_key(fkey(p[0]), callee, eff) in APPROVED


def args_list(es):
	if hasattr(es, 'elements'):
		return [str(x) for x in es.elements]
	return split_args(str(es))


def conv_get(p):
	select(p[0].file)
	analyse()
	return fkey(p[0]) in GET_FNS


def conv_rel(p, callee, args):
	select(p[0].file)
	analyse()
	return call_key(fkey(p[0]), callee, [args]) in APPROVED


def conv_idx(p, callee, arr, idx):
	return conv_rel(p, callee, '%s[%s]' % (arr, idx))


def count_ok_at(p, n):
	select(p[0].file)
	return count_ok(n, fkey(p[0]))


def count_ok(n, fn=None, seen=()):
	"""May a loop up to n fold into one unpin call?  Not when n holds
	what a get call returned (a negative errno on failure): the loop ran
	zero times, but unpin_user_pages() would WARN and
	unpin_user_pages_dirty_lock() would walk far past the array.  n may
	be a variable or a field (known by its name) that some get's result
	is stored in, or a parameter of fn that a caller in the file passes
	such a value.  Such a fold is guarded by "n > 0"."""
	n = strip(n)
	m = re.match(r'^(?:[A-Za-z_]\w*\s*(?:->|\.)\s*)*([A-Za-z_]\w*)$', n)
	if not m:
		return True
	if re.search(r'\b%s\s*=\s*(\(\s*\w+\s*\)\s*)?(%s)\s*\(' % (
		re.escape(m.group(1)), '|'.join(GUP_NAMES)), _text()):
		return False
	ps = params_of(fn)
	if n in ps and n not in dead_params(fn) and fn not in seen:
		k = ps.index(n)
		return all(count_ok(a[k], caller, seen + (fn,))
			   for caller, calls in CALLS.items()
			   for f, a, line in calls if f == fn and len(a) > k)
	return True


def conv_nth(p, callee, base, idx):
	return conv_rel(p, callee, 'nth_page(%s, %s)' % (base, idx))


def conv_sg(p, callee, sg):
	return conv_rel(p, callee, 'sg_page(%s)' % sg)


def conv_args(p, callee, *args):
	return conv_rel(p, callee, ','.join(str(x) for x in args))


def conv_cold(p, *args):
	return conv_args(p, 'release_pages', *args)


def conv_pudl(p, *args):
	return conv_args(p, 'put_user_pages_dirty_lock', *args)


def renamed(p, name, es):
	return conv_site(p, name, es) and \
		gup_shape(name, site_args(p, name, es))[3] is None


def rename_gup(p, es):
	return renamed(p, 'get_user_pages', es)


def rename_gup_fast(p, es):
	return renamed(p, 'get_user_pages_fast', es)


def rename_gup_unlocked(p, es):
	return renamed(p, 'get_user_pages_unlocked', es)


def rename_gup_remote(p, es):
	return renamed(p, 'get_user_pages_remote', es)


def new_call(name, es):
	return gup_shape(name, args_list(es))[3]


def half_converted(p, what):
	raise Exception('gup_to_pin: %s:%s: %s left behind in %s(); refusing '
			'to emit a half conversion' % (CUR, p[0].line, what,
							fkey(p[0])))


def args_of(es):
	return [str(x) for x in es.elements]


def call_text(line, name):
	"""The text between the parentheses of the call to name on this
	line (comments blanked), or None."""
	text = _text()
	lines = text.split('\n')
	if not 0 < line <= len(lines):
		return None
	start = sum(len(x) + 1 for x in lines[:line - 1])
	m = re.compile(r'\b%s\s*\(' % re.escape(name)).search(text, start)
	if not m:
		return None
	d, i = 0, m.end() - 1
	while i < len(text):
		d += {'(': 1, ')': -1}.get(text[i], 0)
		if d == 0:
			break
		i += 1
	return text[m.end():i]


def directive_in_call(line, name):
	"""Is there a preprocessor line inside the arguments of the call to
	name on this line?"""
	inner = call_text(line, name)
	return inner is not None and re.search(r'(^|\n)[ \t]*#', inner) is not None


# Release statements with #if blocks in them (page_cache_release() before
# 4.6, put_page() after), and loops whose dirty test checks PageReserved()
# of the page, are folded from the source text: SmPL cannot match a
# statement list that an #if splits.
REL_ONE = ('put_page', 'page_cache_release', 'put_user_page')
DIRTY_ONE = ('set_page_dirty_lock', 'set_page_dirty', 'SetPageDirty')


def _skip(t, i):
	while i < len(t) and t[i].isspace():
		i += 1
	return i


def _close(t, i, o, c):
	"""Index after the bracket that closes t[i] (== o), or -1."""
	d = 0
	while i < len(t):
		if t[i] == o:
			d += 1
		elif t[i] == c:
			d -= 1
			if d == 0:
				return i + 1
		i += 1
	return -1


def _at_line_start(t, i):
	j = t.rfind('\n', 0, i) + 1
	return t[j:i].strip() == ''


def _directive(t, i):
	"""(keyword, condition, end) of the preprocessor line at t[i]."""
	j = i
	while True:
		e = t.find('\n', j)
		if e < 0:
			e = len(t)
		if t[j:e].rstrip().endswith('\\') and e < len(t):
			j = e + 1
			continue
		break
	m = re.match(r'#\s*(\w*)(.*)', t[i:e], re.S)
	return m.group(1), m.group(2).strip(), e


def _stmts(t, i, end, stop_pp=False):
	"""Statements from t[i] up to end (a '}' or a directive that ends an
	#if branch when stop_pp): ([node], index), or (None, i)."""
	out = []
	while True:
		i = _skip(t, i)
		if i >= end or t[i] == '}':
			return out, i
		if t[i] == '#' and _at_line_start(t, i):
			kw = _directive(t, i)[0]
			if kw in ('elif', 'else', 'endif'):
				if stop_pp:
					return out, i
				return None, i
		n, i = _stmt(t, i, end)
		if n is None:
			return None, i
		out.append(n)


def _stmt(t, i, end):
	"""One statement at t[i]: (node, index after it) or (None, i).
	Nodes: ('block', [n]), ('if', cond, n, n or None), ('pp', [[n]],
	has_else), ('call', name, args), ('other',)."""
	i = _skip(t, i)
	if i >= end:
		return None, i
	if t[i] == '{':
		e = _close(t, i, '{', '}')
		if e < 0 or e > end:
			return None, i
		body, j = _stmts(t, i + 1, e - 1)
		if body is None:
			return None, i
		return ('block', body), e
	if t[i] == '#' and _at_line_start(t, i):
		kw, cond, e = _directive(t, i)
		if kw not in ('if', 'ifdef', 'ifndef'):
			return ('other',), e
		branches, has_else = [], False
		while True:
			body, j = _stmts(t, e, end, True)
			if body is None or j >= end:
				return None, i
			branches.append(body)
			kw, cond, e = _directive(t, j)
			if kw == 'endif':
				return ('pp', branches, has_else), e
			has_else |= kw == 'else'
	m = re.match(r'(if|else|for|while|do|switch|return|goto|break|'
		     r'continue|case|default)\b', t[i:end])
	if m and m.group(1) == 'if':
		j = _skip(t, i + 2)
		if j >= end or t[j] != '(':
			return None, i
		e = _close(t, j, '(', ')')
		if e < 0:
			return None, i
		cond = t[j + 1:e - 1]
		then, k = _stmt(t, e, end)
		if then is None:
			return None, i
		k2 = _skip(t, k)
		if re.match(r'else\b', t[k2:end]):
			els, k = _stmt(t, k2 + 4, end)
			if els is None:
				return None, i
			return ('if', cond, then, els), k
		return ('if', cond, then, None), k
	if m:
		return None, i
	e = i
	while e < end and t[e] not in ';{}':
		if t[e] in '([':
			e = _close(t, e, t[e], ')' if t[e] == '(' else ']')
			if e < 0:
				return None, i
			continue
		e += 1
	if e >= end or t[e] != ';':
		return None, i
	s = t[i:e].strip()
	c = re.match(r'^([A-Za-z_]\w*)\s*\((.*)\)$', s, re.S)
	if c and balanced(c.group(2)):
		return ('call', c.group(1), c.group(2).strip()), e + 1
	return ('other',), e + 1


def _items(n):
	return n[1] if n[0] == 'block' else [n]


def _rel_of(n):
	"""(page, [release names]) when n releases one page, in every #if
	branch alike."""
	if n[0] == 'call' and n[1] in REL_ONE and len(split_args(n[2])) == 1:
		return norm(n[2]), [n[1]]
	if n[0] == 'block' and len(n[1]) == 1:
		return _rel_of(n[1][0])
	if n[0] == 'pp' and n[2]:
		got = [len(b) == 1 and _rel_of(b[0]) for b in n[1]]
		if all(got) and len(set(g[0] for g in got)) == 1:
			return got[0][0], sum((g[1] for g in got), [])
	return None


def _dirt_of(n):
	if n[0] == 'call' and n[1] in DIRTY_ONE and len(split_args(n[2])) == 1:
		return norm(n[2])
	if n[0] == 'block' and len(n[1]) == 1:
		return _dirt_of(n[1][0])
	return None


def _release_shape(items):
	"""(page, [release names], dirty condition or None) when the
	statements release one page and maybe dirty it first."""
	if len(items) == 1:
		n = items[0]
		r = _rel_of(n)
		if r:
			return r[0], r[1], None
		if n[0] == 'block':
			return _release_shape(n[1])
		if n[0] == 'if' and n[3] is not None:
			a = _release_shape(_items(n[2]))
			b = _release_shape(_items(n[3]))
			if a and b and a[0] == b[0] and b[2] is None and \
			   a[2] in (None, 'true'):
				return a[0], a[1] + b[1], \
					n[1] if a[2] else None
		return None
	if len(items) == 2:
		r = _rel_of(items[1])
		if not r:
			return None
		d = _dirt_of(items[0])
		if d == r[0]:
			return r[0], r[1], 'true'
		n = items[0]
		if n[0] == 'if' and n[3] is None and _dirt_of(n[2]) == r[0]:
			return r[0], r[1], n[1]
	return None


def _arg(v):
	"""v as one argument: a comma operator goes in parentheses."""
	return '(%s)' % v if len(split_args(v)) > 1 else v


def _text_only(n):
	"""Does n hold what the SmPL loop rules cannot match: an #if, an
	if/else, or a PageReserved() test?"""
	if n[0] == 'pp':
		return True
	if n[0] == 'block':
		return any(_text_only(x) for x in n[1])
	if n[0] == 'if':
		return n[3] is not None or 'PageReserved' in n[1] or \
			_text_only(n[2])
	return False


def _dirty_cond(cond, page, avoid):
	"""The dirty condition without a !PageReserved(page) test (upstream
	dropped it when converting: a page pinned for write is not
	reserved), or None when it still tests the page or depends on
	avoid."""
	if cond == 'true':
		return cond
	pr = r'!\s*PageReserved\s*\(\s*%s\s*\)' % r'\s*'.join(
		re.escape(x) for x in toks(page))
	c = strip(' '.join(cond.split()))
	if re.fullmatch(pr, c):
		return 'true'
	m = re.fullmatch(r'(.+?)\s*&&\s*%s|%s\s*&&\s*(.+)' % (pr, pr), c)
	if m:
		c = m.group(1) or m.group(2)
		if re.search(r'\|\||\?', re.sub(r'\([^()]*\)', '', c)):
			return None
		c = strip(c)
	if re.search(r'\bPage[A-Z]\w*\b', c) or any(
	   re.search(r'(^|[^\w>.])%s\b' % re.escape(a), norm(c))
	   for a in avoid):
		return None
	return c


def _approved(fn, rels, page):
	return all(call_key(fn, r, [page]) in APPROVED for r in rels)


def _fold_loop_at(t, i, fn):
	"""(unpin call, counter) replacing the counting for loop at t[i]
	(I = 0; I < N; I++), or None."""
	j = _skip(t, i + 3)
	e = _close(t, j, '(', ')') if j < len(t) and t[j] == '(' else -1
	if e < 0:
		return None
	h = re.fullmatch(r'\s*(\w+)\s*=\s*0\s*;\s*(\w+)\s*<\s*([^=<].*?)\s*;'
			 r'\s*(\+\+\s*(\w+)|(\w+)\s*\+\+)\s*', t[j + 1:e - 1], re.S)
	if not h or not h.group(1) == h.group(2) == (h.group(5) or h.group(6)):
		return None
	idx, n = h.group(1), ' '.join(h.group(3).split())
	# the count must be one operand: "i < n && ok" or "i <= n" is not a
	# count of pages
	if re.search(r'\b%s\b' % idx, n) or operand(n) != n:
		return None
	guard = '' if count_ok(n, fn) else 'if (%s > 0) ' % n
	# a bare branch of an if: the guard must not take its else
	bare = re.search(r'(\)|\belse)\s*$', t[:i]) is not None
	body, k = _stmt(t, e, len(t))
	if body is None or not _text_only(body):
		return None
	sh = _release_shape(_items(body))
	if not sh:
		return None
	page, rels, cond = sh
	m = re.fullmatch(r'(.+)\[%s\]' % re.escape(idx), page)
	if not m or re.search(r'\b%s\b' % re.escape(idx), m.group(1)) or \
	   not _approved(fn, rels, page):
		return None
	arr = m.group(1)
	if _read_after(t, k, idx):
		return None
	if cond is None:
		call = 'unpin_user_pages(%s, %s)' % (arr, _arg(n))
	else:
		cond = _dirty_cond(cond, page, [idx])
		if cond is None:
			return None
		call = 'unpin_user_pages_dirty_lock(%s, %s, %s)' % (
			arr, _arg(n), _arg(cond))
	FLAGS.setdefault('folded', set()).add(fn)
	if guard and bare:
		return '{ %s%s; }' % (guard, call), idx
	return guard + call, idx


def _fold_if_at(t, i, fn):
	"""The unpin call replacing the if/else at t[i] that dirties and
	releases one page with an #if in it, or None."""
	n, k = _stmt(t, i, len(t))
	if n is None or n[0] != 'if' or n[3] is None or \
	   not re.search(r'(^|\n)[ \t]*#', t[i:k]):
		return None
	sh = _release_shape([n])
	if not sh or sh[2] is None or not _approved(fn, sh[1], sh[0]):
		return None
	page = sh[0]
	cond = _dirty_cond(sh[2], page, [page])
	if cond is None:
		return None
	if re.fullmatch(r'[A-Za-z_]\w*(\[[^\[\]]+\]|(->|\.)\w+)*', page):
		return 'unpin_user_pages_dirty_lock(&%s, 1, %s)' % (page,
								   _arg(cond))
	return 'unpin_user_page_range_dirty_lock(%s, 1, %s)' % (page,
								_arg(cond))


def _read_after(t, k, idx):
	"""Is the counter idx of the loop that ends at t[k] read after it,
	before the end of the function (a "}" in column 0)?  Not when the
	code that always runs next returns or sets it again first; an else
	branch is skipped, and a jump, or the end of a loop body, makes it
	a read.  Then the loop is not folded: its counter must keep the
	value the loop left."""
	end = re.compile(r'^\}', re.M).search(t, k)
	end = end.start() if end else len(t)
	use = re.compile(r'(?<![\w.>])%s\b' % re.escape(idx))
	ret = re.compile(r'(?<!\w)return\b[^;]*;')
	jump = re.compile(r'(?<!\w)(break|continue|goto)\b')
	depth = low = 0
	i = k
	while True:
		m = use.search(t, i, end)
		if not m:
			return False
		while i < m.start():
			if t[i] == '{':
				depth += 1
			elif t[i] == '}':
				depth -= 1
				if depth < low:
					o = _open_of(t, i)
					if o < 0 or _loop_head(t, o):
						return True
					low = depth
				e = re.compile(r'\s*else\b').match(t, i + 1)
				if e:
					i = _skip_else(t, e.end())
					if i < 0:
						return True
					break
			elif jump.match(t, i):
				return True
			elif depth == low and ret.match(t, i) and \
			     re.search(r'[;{}:]\s*$', t[max(0, i - 200):i]):
				# a return statement of its own, not the
				# body of an if or else without braces
				if ret.match(t, i).end() <= m.start():
					return False
			i += 1
		else:
			break
	a = re.compile(r'\s*=(?!=)([^;]*);').match(t, m.end())
	if depth != low or not a or use.search(a.group(1)):
		return True
	return not re.search(r'(\bfor\s*\(|[;{}])\s*$', t[:m.start()])


def _skip_else(t, i):
	"""Index after the else branch (braced blocks, and else if chains of
	them) that starts at t[i], or -1."""
	while True:
		h = re.compile(r'\s*if\s*\(').match(t, i)
		if h:
			i = _close(t, h.end() - 1, '(', ')')
			if i < 0:
				return -1
		i = _skip(t, i)
		if i >= len(t) or t[i] != '{':
			return -1
		i = _close(t, i, '{', '}')
		if i < 0 or not h:
			return i
		e = re.compile(r'\s*else\b').match(t, i)
		if not e:
			return i
		i = e.end()


def _open_of(t, i):
	"""Index of the "{" that the "}" at t[i] closes, or -1."""
	d = 0
	while i >= 0:
		if t[i] == '}':
			d += 1
		elif t[i] == '{':
			d -= 1
			if d == 0:
				return i
		i -= 1
	return -1


def _loop_head(t, o):
	"""Is the block opening at t[o] the body of a for, while or do?"""
	j = o - 1
	while j >= 0 and t[j].isspace():
		j -= 1
	if t[j - 1:j + 1] == 'do' and (j < 2 or not re.match(r'\w', t[j - 2])):
		return True
	if t[j] != ')':
		return False
	d = 0
	while j >= 0:
		d += {')': 1, '(': -1}.get(t[j], 0)
		if d == 0:
			break
		j -= 1
	return re.search(r'\b(for|while)\s*$', t[:j]) is not None


def counter_free(p, idx):
	"""Is the counter idx of the loop around the release at p not read
	after the loop?  p is in the file as the rules before left it."""
	path = str(p[0].file)
	cache = FLAGS.setdefault('now', {})
	if path not in cache:
		cache[path] = source(path) or ''
	t = cache[path]
	lines = t.split('\n')
	line = int(p[0].line)
	if not 0 < line <= len(lines):
		return False
	at = sum(len(x) + 1 for x in lines[:line - 1]) + int(p[0].column)
	heads = list(re.finditer(r'\bfor\s*\(\s*%s\s*=' % re.escape(idx),
				 t[:at]))
	if not heads:
		return False
	j = t.index('(', heads[-1].start())
	e = _close(t, j, '(', ')')
	if e < 0:
		return False
	node, k = _stmt(t, e, len(t))
	return node is not None and k > at and not _read_after(t, k, idx)


def conv_fold(p, callee, arr, idx):
	"""A release of arr[idx] to convert, in a loop that may be folded."""
	return folds_in(p, conv_idx(p, callee, arr, idx) and
			counter_free(p, idx))


def conv_fold_nth(p, callee, base, idx):
	return folds_in(p, conv_nth(p, callee, base, idx) and
			counter_free(p, idx))


def folds_in(p, ok):
	"""Note the function of a loop that may fold: only there may its
	counter's declaration go."""
	if ok:
		FLAGS.setdefault('folded', set()).add(fkey(p[0]))
	return ok


def decl_folded(d):
	select(d[0].file)
	return fkey(d[0]) in FLAGS.get('folded', ())


def _text():
	text = FLAGS.get('text')
	if text is None:
		text = FLAGS['text'] = source() or ''
	return text


def fold_loop(p):
	"""(unpin call, counter) for the counting for loop at p, or None.
	The first patch rule: p's line is still the source line."""
	select(p[0].file)
	analyse()
	text = _text()
	lines = text.split('\n')
	line = int(p[0].line)
	if not 0 < line <= len(lines):
		return None
	i = sum(len(x) + 1 for x in lines[:line - 1]) + int(p[0].column)
	if not re.match(r'for\b', text[i:]):
		return None
	return _fold_loop_at(text, i, fkey(p[0]))


def if_folded(q):
	return (q[0].line, q[0].column) in FLAGS.get('if_folds', ())


def fold_if(p, e, s1, s2):
	"""The unpin call for the if/else (e) s1 else s2 with an #if in its
	branches, found in the source by its text (rules before it may have
	moved the lines), or None."""
	if '#' not in str(s1) + str(s2):
		return None
	select(p[0].file)
	analyse()
	text = _text()
	want = norm('if(%s)%selse%s' % (e, s1, s2))
	found = set()
	for m in re.finditer(r'\bif\b', text):
		if text[m.start() - 1:m.start()] == '#':
			continue
		n, k = _stmt(text, m.start(), len(text))
		if n is not None and n[0] == 'if' and n[3] is not None and \
		   norm(text[m.start():k]) == want:
			found.add(_fold_if_at(text, m.start(), fkey(p[0])))
	return found.pop() if len(found) == 1 else None


# LINUX_VERSION_CODE of the kernel the conversion is for: 6.12.y
KV_TARGET = (6 << 16) + (12 << 8) + 255


def eval_cond(expr):
	"""An #if condition on 6.12: True, False, or None when it names
	anything but LINUX_VERSION_CODE, KERNEL_VERSION() and numbers."""
	e = re.sub(r'KERNEL_VERSION\s*\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)',
		   lambda m: str((int(m.group(1)) << 16) + (int(m.group(2)) << 8) +
				 min(int(m.group(3)), 255)), expr)
	e = re.sub(r'\bLINUX_VERSION_CODE\b', str(KV_TARGET), e)
	if not re.match(r'^[\d\s()<>=!&|]*\d[\d\s()<>=!&|]*$', e):
		return None
	e = e.replace('&&', ' and ').replace('||', ' or ')
	e = re.sub(r'!(?!=)', ' not ', e)
	try:
		return bool(eval(e, {'__builtins__': {}}))
	except Exception:
		return None


def effective_args(line, name):
	"""The arguments of the call to name on this line as a 6.12 build
	sees them, with the #if blocks inside them evaluated; None when a
	condition cannot be evaluated."""
	inner = call_text(line, name)
	if inner is None:
		return None
	inner = re.sub(r'\\\n', ' ', inner)
	out, stack = [], []	# per open #if: [this arm is on, an arm was on]
	for ln in inner.split('\n'):
		m = re.match(r'^\s*#\s*(\w+)(.*)$', ln)
		if not m:
			if all(on for on, taken in stack):
				out.append(ln)
			continue
		d, rest = m.group(1), m.group(2)
		if d == 'if':
			v = eval_cond(rest)
			if v is None:
				return None
			stack.append([v, v])
		elif d == 'elif' and stack:
			v = eval_cond(rest)
			if v is None:
				return None
			stack[-1] = [v and not stack[-1][1], v or stack[-1][1]]
		elif d == 'else' and stack:
			stack[-1] = [not stack[-1][1], True]
		elif d == 'endif' and stack:
			stack.pop()
		else:
			return None
	if stack:
		return None
	return split_args(' '.join(out))


def ifdef_args(line, name):
	"""For a call with an #if inside its arguments: its 6.12 arguments
	if the conversion can leave the #if blocks alone (a rename of the
	function, and for get_user_pages() the removal of a trailing NULL
	vmas outside them), else None."""
	eff = effective_args(line, name)
	if eff is None:
		return None
	new = gup_shape(name, eff)[3] if name.startswith('get_') else None
	if new is None:
		return eff
	lines = call_text(line, name).split('\n')
	last = max(i for i, x in enumerate(lines) if re.match(r'^\s*#', x))
	tail = '\n'.join(lines[last + 1:])
	if name == 'get_user_pages' and len(eff) == 5 and is_null(eff[4]) and \
	   re.search(r'\bNULL\s*$', tail):
		return eff
	return None


def report_unseen(p):
	"""Give a verdict to the get calls spatch could not parse (#if
	inside a statement, for instance), once per file."""
	if FLAGS['unseen']:
		return
	FLAGS['unseen'] = True
	text = source()
	if text is None:
		return
	seen = set(s['line'] for s in SITES)
	# a directive the preprocessor does not know (#elsif for #elif) makes
	# the parser drop the whole function: name it
	odd = [(text.count('\n', 0, m.start()) + 1, m.group(1)) for m in
	       re.finditer(r'^[ \t]*#[ \t]*([a-z]+)', text, re.M)
	       if m.group(1) not in ('if', 'ifdef', 'ifndef', 'elif', 'else',
				     'endif', 'define', 'undef', 'include',
				     'error', 'warning', 'pragma', 'line')]
	hint = '; #%s at line %d is not a preprocessor directive (a typo?)' % (
		odd[0][1], odd[0][0]) if odd else ''
	call = re.compile(r'\b(%s)\s*\(' % '|'.join(GUP_NAMES))
	for m in call.finditer(text):
		start = text.rfind('\n', 0, m.start()) + 1
		before = text[start:m.start()]
		line = text.count('\n', 0, m.start()) + 1
		if line in seen or re.search(r'(\b(long|int|void|extern|static|'
					     r'inline)\s+|\*\s*)$', before) or \
		   before.lstrip().startswith('#'):
			continue
		print('%s:%d:%d-%d: keep [unseen] %s: spatch could not parse the '
		      'code around this call (an #if inside the statement?), so '
		      'its pages cannot be followed%s' % (
			      p[0].file, line, len(before),
			      len(before) + len(m.group(1)), m.group(1), hint))

// ------------------------------------------------------------------------
// Collection: in a file with a get_user_pages*() call, every get call and,
// in every function, every call, assignment, return, iterator, local and
// parameter.

@gup@
identifier gf = {get_user_pages, get_user_pages_fast, get_user_pages_unlocked,
		 get_user_pages_remote, get_user_pages_locked,
		 get_user_pages_longterm, __get_user_pages_fast,
		 get_user_pages_fast_only};
expression list es;
position g;
@@

gf@g(es)

@script:python gup_record@
gf << gup.gf;
es << gup.es;
g << gup.g;
@@

select(g[0].file)
site = {'name': gf, 'args': args_of(es), 'key': (g[0].line, g[0].column),
	'line': int(g[0].line), 'fn': fkey(g[0]), 'ifdef': False}
if directive_in_call(site['line'], gf):
	eff = ifdef_args(site['line'], gf)
	full = effective_args(site['line'], gf)
	new = gup_shape(gf, full) if full is not None else None
	if eff is None and new is not None and new[3] is not None and \
	   new[4] is None:
		# rebuilt with its statement, if it is "x = get(...);"
		eff = full
		REBUILD[(site['fn'], gf, norm(es))] = new[3]
		site['rebuild'] = True
	site.update(ifdef=True, ifdef_ok=eff is not None,
		    args=eff or site['args'])
	IFDEF_CALLS[(site['fn'], gf, norm(es))] = eff
SITES.append(site)

@gup_assign@
identifier gf = {get_user_pages, get_user_pages_fast, get_user_pages_unlocked,
		 get_user_pages_remote, get_user_pages_longterm};
expression E;
expression list es;
position g;
@@

E = gf@g(es);

@script:python@
g << gup_assign.g;
@@

select(g[0].file)
FLAGS.setdefault('assign_gets', set()).add((g[0].line, g[0].column))

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

select(c[0].file)
add(CALLS, fkey(c[0]), (str(fe), args_of(es), int(c[0].line)))
if str(fe) in ('release_pages', 'put_user_pages') and \
   directive_in_call(int(c[0].line), str(fe)):
	IFDEF_CALLS[(fkey(c[0]), str(fe), norm(es))] = \
		ifdef_args(int(c[0].line), str(fe))

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

select(a[0].file)
add(ASSIGNS, fkey(a[0]), (str(L), str(R)))

@rets depends on gup@
expression E;
position r;
@@

return@r E;

@script:python@
E << rets.E;
r << rets.r;
@@

select(r[0].file)
add(RETURNS, fkey(r[0]), str(E))

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

select(i[0].file)
add(ITERS, fkey(i[0]), (str(I), args_of(es)))

@decls depends on gup@
type T;
identifier x;
position d;
@@

(
T x@d;
|
T x@d = ...;
)

@script:python@
T << decls.T;
x << decls.x;
d << decls.d;
@@

select(d[0].file)
DECLS.setdefault(fkey(d[0]), set()).add(str(x))
TYPES[(fkey(d[0]), str(x))] = str(T)

@inits depends on gup@
type T;
identifier x;
expression R;
position d;
@@

T x@d = R;

@script:python@
x << inits.x;
R << inits.R;
d << inits.d;
@@

select(d[0].file)
add(ASSIGNS, fkey(d[0]), (str(x), str(R)))

@params depends on gup@
type T;
identifier x, fn;
position d;
@@

fn(..., T x@d, ...) { ... }

@script:python@
T << params.T;
x << params.x;
d << params.d;
@@

select(d[0].file)
add(PARAMS, fkey(d[0]), (int(d[0].line), int(d[0].column), str(x)))
TYPES[(fkey(d[0]), str(x))] = str(T)

@funcs depends on gup@
identifier fn;
position d;
@@

fn@d(...) { ... }

@script:python@
fn << funcs.fn;
d << funcs.d;
@@

select(d[0].file)
FUNCS[str(fn)] = FUNCS.get(str(fn), 0) + 1

@statics depends on gup@
identifier fn;
type T;
position d;
@@

static T fn@d(...) { ... }

@script:python@
fn << statics.fn;
d << statics.d;
@@

select(d[0].file)

STATIC.add(str(fn))

// ------------------------------------------------------------------------
// Patch mode.  Only the calls approved by analyse() are touched: releases
// by function and text, get calls by function (all or none of them).
// Loops first, then dirty + put pairs, then single calls.

// A loop or an if/else whose release is split by an #if (or whose
// dirty test is !PageReserved() of the page): folded from the source
// text, so before any other rule changes the code and its positions.
@loop_pp depends on patch && gup@
statement S;
position p : script:python () { fold_loop(p) is not None };
@@

 for@p (...; ...; ...) S

@script:python loop_pp_call@
p << loop_pp.p;
CALL;
I;
@@

call, idx = fold_loop(p)
coccinelle.CALL = cocci.make_stmt(call if call.endswith('}') else call + ';')
coccinelle.I = cocci.make_ident(idx)

// (the #if makes several matches of one loop: take only its position)
@depends on patch && gup@
statement S;
position loop_pp.p;
statement loop_pp_call.CALL;
@@

- for@p (...; ...; ...) S
+ CALL

@depends on patch && gup@
identifier loop_pp_call.I;
type T;
constant C;
position d : script:python () { decl_folded(d) };
@@

{
... when any
(
- T I@d;
|
- T I@d = C;
)
... when != I
    when strict
}

// lines have moved if a loop was folded: the if/else is found by its text
@if_pp depends on patch && gup@
expression E;
statement S1, S2;
position p;
@@

 if@p (E) S1 else S2

@script:python@
p << if_pp.p;
E << if_pp.E;
S1 << if_pp.S1;
S2 << if_pp.S2;
@@

call = fold_if(p, E, S1, S2)
if call is not None:
	FLAGS.setdefault('if_folds', {})[(p[0].line, p[0].column)] = call

// Excluding matches here would stop later rules, so every match gets a
// CALL (the #if gives one statement several matches: the same CALL), and
// the rule below takes only the positions fold_if() accepted.
@script:python if_pp_call@
p << if_pp.p;
CALL;
@@

coccinelle.CALL = cocci.make_expr(FLAGS.get('if_folds', {}).get(
	(p[0].line, p[0].column), '0'))

@depends on patch && gup@
expression E;
statement S1, S2;
position if_pp.p;
position q : script:python () { if_folded(q) };
expression if_pp_call.CALL;
@@

- if@p@q (E) S1 else S2
+ CALL;

// a loop up to a get call's result that is already guarded by "N > 0"
@if_loop_pos depends on patch && gup@
identifier I;
identifier rel = {put_page, page_cache_release, put_user_page};
expression P, N, E;
position q : script:python (rel, P, I) { conv_fold(q, rel, P, I) };
@@

(
- if (N > 0) {
-	for (I = 0; I < N; \(I++\|++I\))
-		rel@q(P[I]);
- }
+ if (N > 0)
+	unpin_user_pages(P, N);
|
- if (E && N > 0) {
-	for (I = 0; I < N; \(I++\|++I\))
-		rel@q(P[I]);
- }
+ if (E && N > 0)
+	unpin_user_pages(P, N);
|
- if (E && (N > 0)) {
-	for (I = 0; I < N; \(I++\|++I\))
-		rel@q(P[I]);
- }
+ if (E && (N > 0))
+	unpin_user_pages(P, N);
|
- if (N > 0 && E) {
-	for (I = 0; I < N; \(I++\|++I\))
-		rel@q(P[I]);
- }
+ if (N > 0 && E)
+	unpin_user_pages(P, N);
|
- if ((N > 0) && E) {
-	for (I = 0; I < N; \(I++\|++I\))
-		rel@q(P[I]);
- }
+ if ((N > 0) && E)
+	unpin_user_pages(P, N);
)

@depends on patch && gup@
identifier if_loop_pos.I;
type T;
constant C;
position d : script:python () { decl_folded(d) };
@@

{
... when any
(
- T I@d;
|
- T I@d = C;
)
... when != I
    when strict
}

// A loop up to what a get call returned (a negative errno on failure):
// the fold is guarded by "N > 0" (the rules below would fold it bare).
// Isomorphisms off, "I++" only: a position in the loop header can then
// say which file N belongs to.
@loop_count depends on patch && gup disable gtr_lss, zero_multiple_format@
identifier I;
identifier rel = {put_page, page_cache_release, put_user_page};
identifier dirt = {set_page_dirty_lock, set_page_dirty, SetPageDirty};
expression P, D, N;
position pn : script:python (N) { not count_ok_at(pn, N) };
position q : script:python (rel, P, I) { conv_fold(q, rel, P, I) };
@@

(
  for (I = 0; I < N@pn; I++) {
	if (<+... I ...+>)
		dirt(P[I]);
	rel@q(P[I]);
  }
|
  for (I = 0; I < N@pn; I++) {
	if (<+... I ...+>) {
		dirt(P[I]);
	}
	rel@q(P[I]);
  }
|
- for (I = 0; I < N@pn; I++) {
-	if (D)
-		dirt(P[I]);
-	rel@q(P[I]);
- }
+ if (N > 0)
+	unpin_user_pages_dirty_lock(P, N, D);
|
- for (I = 0; I < N@pn; I++) {
-	if (D) {
-		dirt(P[I]);
-	}
-	rel@q(P[I]);
- }
+ if (N > 0)
+	unpin_user_pages_dirty_lock(P, N, D);
|
- for (I = 0; I < N@pn; I++) {
-	dirt(P[I]);
-	rel@q(P[I]);
- }
+ if (N > 0)
+	unpin_user_pages_dirty_lock(P, N, true);
|
- for (I = 0; I < N@pn; I++)
-	rel@q(P[I]);
+ if (N > 0)
+	unpin_user_pages(P, N);
|
- for (I = 0; I < N@pn; I++) {
-	rel@q(P[I]);
- }
+ if (N > 0)
+	unpin_user_pages(P, N);
)

@depends on patch && gup@
identifier loop_count.I;
type T;
constant C;
position d : script:python () { decl_folded(d) };
@@

{
... when any
(
- T I@d;
|
- T I@d = C;
)
... when != I
    when strict
}

// "if (x) { loop }" would keep needless braces once the loop is one call
@if_loop depends on patch && gup@
identifier I;
identifier rel = {put_page, page_cache_release, put_user_page};
expression P, N, E;
position q : script:python (rel, P, I) { conv_fold(q, rel, P, I) };
@@

- if (E) {
-	for (I = 0; I < N; \(I++\|++I\))
-		rel@q(P[I]);
- }
+ if (E)
+	unpin_user_pages(P, N);

@loop_dirty depends on patch && gup@
identifier I;
identifier rel = {put_page, page_cache_release, put_user_page};
identifier dirt = {set_page_dirty_lock, set_page_dirty, SetPageDirty};
expression P, N, D;
position q : script:python (rel, P, I) { conv_fold(q, rel, P, I) };
@@

(
// the dirty test depends on the index: leave it to the put rule below
  for (I = 0; I < N; \(I++\|++I\)) {
	if (<+... I ...+>)
		dirt(P[I]);
	rel@q(P[I]);
  }
|
  for (I = 0; I < N; \(I++\|++I\)) {
	if (<+... I ...+>) {
		dirt(P[I]);
	}
	rel@q(P[I]);
  }
|
- for (I = 0; I < N; \(I++\|++I\)) {
-	if (D)
-		dirt(P[I]);
-	rel@q(P[I]);
- }
+ unpin_user_pages_dirty_lock(P, N, D);
|
- for (I = 0; I < N; \(I++\|++I\)) {
-	if (D) {
-		dirt(P[I]);
-	}
-	rel@q(P[I]);
- }
+ unpin_user_pages_dirty_lock(P, N, D);
|
- for (I = 0; I < N; \(I++\|++I\)) {
-	dirt(P[I]);
-	rel@q(P[I]);
- }
+ unpin_user_pages_dirty_lock(P, N, true);
|
- for (I = 0; I < N; \(I++\|++I\))
-	rel@q(P[I]);
+ unpin_user_pages(P, N);
|
- for (I = 0; I < N; \(I++\|++I\)) {
-	rel@q(P[I]);
- }
+ unpin_user_pages(P, N);
)

// a loop counter that only the folded loops used goes too
@depends on patch && gup@
identifier if_loop.I;
type T;
constant C;
position d : script:python () { decl_folded(d) };
@@

{
... when any
(
- T I@d;
|
- T I@d = C;
)
... when != I
    when strict
}

@depends on patch && gup@
identifier loop_dirty.I;
type T;
constant C;
position d : script:python () { decl_folded(d) };
@@

{
... when any
(
- T I@d;
|
- T I@d = C;
)
... when != I
    when strict
}

// a run of pages of one folio or scatterlist entry: nth_page(P, I)
@loop_nth depends on patch && gup@
identifier I;
identifier rel = {put_page, page_cache_release, put_user_page};
identifier dirt = {set_page_dirty_lock, set_page_dirty, SetPageDirty};
expression P, N, D;
position q : script:python (rel, P, I) { conv_fold_nth(q, rel, P, I) };
@@

(
  for (I = 0; I < N; \(I++\|++I\)) {
	if (<+... I ...+>)
		dirt(nth_page(P, I));
	rel@q(nth_page(P, I));
  }
|
- for (I = 0; I < N; \(I++\|++I\)) {
-	if (D)
-		dirt(nth_page(P, I));
-	rel@q(nth_page(P, I));
- }
+ unpin_user_page_range_dirty_lock(P, N, D);
|
- for (I = 0; I < N; \(I++\|++I\)) {
-	dirt(nth_page(P, I));
-	rel@q(nth_page(P, I));
- }
+ unpin_user_page_range_dirty_lock(P, N, true);
|
- for (I = 0; I < N; \(I++\|++I\))
-	rel@q(nth_page(P, I));
+ unpin_user_page_range_dirty_lock(P, N, false);
)

@depends on patch && gup@
identifier loop_nth.I;
type T;
constant C;
position d : script:python () { decl_folded(d) };
@@

{
... when any
(
- T I@d;
|
- T I@d = C;
)
... when != I
    when strict
}

@one_dirty_sg depends on patch && gup@
expression D, S;
identifier rel = {put_page, page_cache_release, put_user_page};
identifier dirt = {set_page_dirty_lock, set_page_dirty, SetPageDirty};
position q : script:python (rel, S) { conv_sg(q, rel, S) };
@@

(
- if (D)
-	dirt(sg_page(S));
- rel@q(sg_page(S));
+ unpin_user_page_range_dirty_lock(sg_page(S), 1, D);
|
- dirt(sg_page(S));
- rel@q(sg_page(S));
+ unpin_user_page_range_dirty_lock(sg_page(S), 1, true);
)

@one_dirty_idx depends on patch && gup@
expression D, P, I;
identifier rel = {put_page, page_cache_release, put_user_page};
identifier dirt = {set_page_dirty_lock, set_page_dirty, SetPageDirty};
position q : script:python (rel, P, I) { conv_idx(q, rel, P, I) };
@@

(
- if (D)
-	dirt(P[I]);
- rel@q(P[I]);
+ unpin_user_pages_dirty_lock(&P[I], 1, D);
|
- dirt(P[I]);
- rel@q(P[I]);
+ unpin_user_pages_dirty_lock(&P[I], 1, true);
)

@one_dirty depends on patch && gup@
expression D;
identifier p;
identifier rel = {put_page, page_cache_release, put_user_page};
identifier dirt = {set_page_dirty_lock, set_page_dirty, SetPageDirty};
position q : script:python (rel, p) { conv_rel(q, rel, p) };
@@

(
- if (D)
-	dirt(p);
- rel@q(p);
+ unpin_user_pages_dirty_lock(&p, 1, D);
|
- if (D) {
-	dirt(p);
- }
- rel@q(p);
+ unpin_user_pages_dirty_lock(&p, 1, D);
|
- dirt(p);
- rel@q(p);
+ unpin_user_pages_dirty_lock(&p, 1, true);
)

// any other page expression: a range of one page
@one_dirty_expr depends on patch && gup@
expression D, E;
identifier rel = {put_page, page_cache_release, put_user_page};
identifier dirt = {set_page_dirty_lock, set_page_dirty, SetPageDirty};
position q : script:python (rel, E) { conv_rel(q, rel, E) };
@@

(
- if (D)
-	dirt(E);
- rel@q(E);
+ unpin_user_page_range_dirty_lock(E, 1, D);
|
- if (D) {
-	dirt(E);
- }
- rel@q(E);
+ unpin_user_page_range_dirty_lock(E, 1, D);
|
- dirt(E);
- rel@q(E);
+ unpin_user_page_range_dirty_lock(E, 1, true);
)

@release depends on patch && gup@
expression P, N;
identifier rel = {release_pages, put_user_pages};
position q : script:python (rel, P, N) { conv_args(q, rel, P, N) };
@@

- rel@q(P, N)
+ unpin_user_pages(P, N)

@release_cold depends on patch && gup@
expression P, N, C;
position q : script:python (P, N, C) { conv_cold(q, P, N, C) };
@@

- release_pages@q(P, N, C)
+ unpin_user_pages(P, N)

@release_dirty depends on patch && gup@
expression P, N, D;
position q : script:python (P, N, D) { conv_pudl(q, P, N, D) };
@@

- put_user_pages_dirty_lock@q(P, N, D)
+ unpin_user_pages_dirty_lock(P, N, D)

@release_dirty2 depends on patch && gup@
expression P, N;
identifier rel = {put_user_pages_dirty_lock, put_user_pages_dirty};
position q : script:python (rel, P, N) { conv_args(q, rel, P, N) };
@@

- rel@q(P, N)
+ unpin_user_pages_dirty_lock(P, N, true)

@put depends on patch && gup@
expression E;
identifier rel = {put_page, page_cache_release, put_user_page};
position q : script:python (rel, E) { conv_rel(q, rel, E) };
@@

- rel@q(E)
+ unpin_user_page(E)

@flags_stmt depends on patch && gup@
expression F;
position f : script:python () { conv_get(f) };
@@

- F@f |= FOLL_GET;

@flags_or depends on patch && gup@
expression E;
position f : script:python () { conv_get(f) };
@@

(
- FOLL_GET@f |
  E
|
  E
- | FOLL_GET@f
)

@flags_only depends on patch && gup@
position f : script:python () { conv_get(f) };
@@

- FOLL_GET@f
+ 0

@depends on patch && gup@
expression list es;
position g : script:python (es) { rename_gup(g, es) };
@@

- get_user_pages@g
+ pin_user_pages
  (es)

@depends on patch && gup@
expression list es;
position g : script:python (es) { rename_gup_fast(g, es) };
@@

- get_user_pages_fast@g
+ pin_user_pages_fast
  (es)

@depends on patch && gup@
expression list es;
position g : script:python (es) { rename_gup_unlocked(g, es) };
@@

- get_user_pages_unlocked@g
+ pin_user_pages_unlocked
  (es)

@depends on patch && gup@
expression list es;
position g : script:python (es) { rename_gup_remote(g, es) };
@@

- get_user_pages_remote@g
+ pin_user_pages_remote
  (es)

// An #if inside the arguments: only the name changes (and a trailing NULL
// vmas goes), so the #if blocks stay as they are.
@depends on patch && gup@
expression list es;
position g : script:python (es) { rename_drop_vmas(g, es) };
@@

- get_user_pages@g
+ pin_user_pages
  (es
- , NULL
  )

@depends on patch && gup@
identifier rel = {release_pages, put_user_pages};
expression list es;
position q : script:python (rel, es) { conv_rel_ifdef(q, rel, es) };
@@

- rel@q
+ unpin_user_pages
  (es)

// An #if inside the arguments, and the 6.12 call needs other arguments
// (write/force, tsk/mm): the assignment is rewritten, #if blocks and all.
@ifdef_rebuild depends on patch && gup@
identifier gf = {get_user_pages, get_user_pages_fast, get_user_pages_unlocked,
		 get_user_pages_remote, get_user_pages_longterm};
expression E;
expression list es;
position g : script:python (gf, es) { rebuild_text(g, gf, es) is not None };
@@

E = gf@g(es);

@script:python ifdef_rebuild_call@
gf << ifdef_rebuild.gf;
es << ifdef_rebuild.es;
g << ifdef_rebuild.g;
nc;
@@

coccinelle.nc = cocci.make_expr(rebuild_text(g, gf, es))

@depends on patch && gup@
identifier gf = {get_user_pages, get_user_pages_fast, get_user_pages_unlocked,
		 get_user_pages_remote, get_user_pages_longterm};
expression E;
expression list es;
position ifdef_rebuild.g;
expression ifdef_rebuild_call.nc;
@@

- E = gf@g(es);
+ E = nc;

// Older shapes (tsk/mm, write/force, vmas): the call is rebuilt.
@old_shape depends on patch && gup@
identifier gf = {get_user_pages, get_user_pages_unlocked, get_user_pages_remote,
		 get_user_pages_longterm};
expression list es;
position g : script:python (gf, es) { old_site(g, gf, es) };
@@

gf@g(es)

@script:python old_call@
gf << old_shape.gf;
es << old_shape.es;
nc;
@@

coccinelle.nc = cocci.make_expr(new_call(gf, es))

@depends on patch && gup@
identifier old_shape.gf;
expression list old_shape.es;
position old_shape.g;
expression old_call.nc;
@@

- gf@g(es)
+ nc

// Safety net: no approved call may survive the patch rules.
@leftover depends on patch && gup@
identifier lf = {get_user_pages, get_user_pages_fast, get_user_pages_unlocked,
		 get_user_pages_remote, get_user_pages_longterm, put_page,
		 page_cache_release, put_user_page, release_pages,
		 put_user_pages, put_user_pages_dirty_lock,
		 put_user_pages_dirty};
expression list es;
position l;
@@

lf@l(es)

@script:python depends on patch@
lf << leftover.lf;
es << leftover.es;
l << leftover.l;
@@

select(l[0].file)
if lf.startswith('get_') and conv_site(l, lf, es) or \
   call_key(fkey(l[0]), lf, [str(es)]) in APPROVED:
	half_converted(l, lf + '()')

// ------------------------------------------------------------------------
// Context, org and report modes.

@depends on context && gup@
identifier cf = {get_user_pages, get_user_pages_fast, get_user_pages_unlocked,
		 get_user_pages_remote, get_user_pages_longterm};
expression list es;
position c : script:python (cf, es) { conv_site(c, cf, es) };
@@

* cf@c(es)

@depends on context && gup@
identifier rf = {put_page, page_cache_release, put_user_page, release_pages,
		 put_user_pages, put_user_pages_dirty_lock, put_user_pages_dirty};
expression list es;
position r : script:python (rf, es) { conv_rel(r, rf, es) };
@@

* rf@r(es)

@script:python depends on org@
gf << gup.gf;
g << gup.g;
@@

select(g[0].file)
analyse()
coccilib.org.print_todo(g[0], VERDICT.get((g[0].line, g[0].column),
			'keep [unknown] %s' % gf))

@script:python depends on report@
gf << gup.gf;
g << gup.g;
@@

select(g[0].file)
analyse()
coccilib.report.print_report(g[0], VERDICT.get((g[0].line, g[0].column),
			     'keep [unknown] %s' % gf))

@anyfn depends on report@
identifier fn;
position p;
@@

fn@p(...) { ... }

@script:python depends on report@
p << anyfn.p;
@@

select(p[0].file)
report_unseen(p)
