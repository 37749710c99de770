#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate the per-driver conversion patches from a pristine tree.
#
# Usage: regen_drivers.sh [base-tree [outdir]]
#   base-tree defaults to build/base, outdir to drivers-patches (both
#   relative to the repository root).  The base tree is only read.
#
# gup_to_pin.cocci is run in patch mode on every file under drivers/ that
# calls get_user_pages*(); every file it changes becomes one patch named
# after its driver, with a fixed header so that the output can be diffed
# against the committed patches.  The commit message of a driver comes
# from the notes below; a driver without a note gets the generic text and
# a "NOTE: no driver-specific review yet" line.
#
# Environment: SPATCH (default spatch), AUTHOR (patch From: line).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
base=${1:-$repo/build/base}
outdir=${2:-$repo/drivers-patches}
cocci=$repo/scripts/coccinelle/gup_to_pin.cocci
spatch=${SPATCH:-spatch}
author=${AUTHOR:-"Page Pin Conversion <page-pin@example.invalid>"}

command -v "$spatch" >/dev/null || { echo "spatch not found in PATH" >&2; exit 2; }
[ -d "$base/drivers" ] || { echo "$base is not a kernel tree" >&2; exit 2; }
base=$(cd "$base" && pwd)
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Driver-specific part of the commit message, keyed by file.
note() {
	case "$1" in
	drivers/virt/fsl_hypervisor.c)
		cat <<'TXT'
ioctl_memcpy() takes references on the pages of a user buffer, writes
their physical addresses into a scatter/gather list and asks the
hypervisor to copy to or from them with fh_partition_memcpy().  The
hypervisor accesses the memory behind the kernel's back, which is the
DMA case of Documentation/core-api/pin_user_pages.rst, so the pages
must be pinned with FOLL_PIN rather than merely referenced.

All references are dropped in ioctl_memcpy() itself: the only release
is the put_page() loop at the "exit" label, which runs on both the
success and the error paths and only over the num_pinned pages that
were actually returned, so it becomes unpin_user_pages(pages,
num_pinned).  The pages array is local and freed at the end of the
function; neither the array nor the pages escape, and there is no other
put_page() in the function.  The gup_flags (FOLL_WRITE when the local
buffer is the copy destination) are unchanged.

The existing code does not mark the pages dirty after the hypervisor
wrote into them; this patch keeps that behaviour.  Switching to
unpin_user_pages_dirty_lock(pages, num_pinned, param.source != -1) is
left for a separate change.
TXT
		;;
	drivers/accel/qaic/qaic_control.c)
		cat <<'TXT'
find_and_map_user_pages() takes references on the pages of a user
buffer, builds an sg_table from them with sg_alloc_table_from_pages()
and maps it with dma_map_sgtable() for the device: DMA to user memory,
case 1 of Documentation/core-api/pin_user_pages.rst, so the pages must
be pinned with FOLL_PIN.

The page array is kept in xfer->page_list and released in three places,
all in this file and all converted: the error path of
find_and_map_user_pages() and the static free_dma_xfers() and
cleanup_xfer().  No other code touches xfer->page_list, and the pages do
not escape otherwise.  The loop counters that only the put_page() loops
used are removed with them.  The device only reads the buffer (the get
is without FOLL_WRITE and the mapping DMA_TO_DEVICE), so nothing is
dirtied, as before.
TXT
		;;
	drivers/virt/nitro_enclaves/ne_misc_dev.c)
		cat <<'TXT'
ne_set_user_memory_region_ioctl() takes references on the pages of a
user memory region, one page at a time with FOLL_GET, and hands their
physical addresses (page_to_phys()) to the Nitro hypervisor, which maps
them into the enclave: memory accessed behind the kernel's back, the
DMA case of Documentation/core-api/pin_user_pages.rst.  The pages must
be pinned with FOLL_PIN.  FOLL_GET is dropped from the flags: it is
implied by get_user_pages*() and not allowed with the pin API.

The pages live in ne_mem_region->pages and are released in two places,
both in this file and both converted: the put_pages error path of the
ioctl and the static ne_enclave_remove_all_mem_region_entries() when the
enclave goes away.  The flags are otherwise unchanged (no FOLL_WRITE,
as before).
TXT
		;;
	*)
		echo "NOTE: no driver-specific review yet."
		;;
	esac
}

# "drivers/media/pci/foo/foo-core.c" -> "media: foo"
subject_prefix() {
	local f=${1#drivers/} dir sub name
	dir=${f%%/*}
	name=$(basename "$f" .c)
	sub=$(dirname "$f")
	if [ "$sub" = "$dir" ]; then
		echo "$dir: $name"
	else
		echo "$dir: $(basename "$sub")"
	fi
}

cd "$base"
grep -rlE --include='*.c' \
	'\b(__get_user_pages_fast|get_user_pages(_fast|_unlocked|_remote|_locked|_longterm|_fast_only)?)\s*\(' \
	drivers | sort >"$tmp/files" || true

rm -f "$outdir"/[0-9][0-9][0-9][0-9]-*.patch
n=0
while read -r f; do
	"$spatch" --very-quiet --no-includes --include-headers \
		--sp-file "$cocci" -D patch --patch . "$f" >"$tmp/diff" 2>"$tmp/err" ||
		{ echo "spatch failed on $f:" >&2; cat "$tmp/err" >&2; exit 1; }
	[ -s "$tmp/diff" ] || continue
	n=$((n + 1))
	prefix=$(subject_prefix "$f")
	slug=$(printf '%s' "$prefix" | tr -c 'A-Za-z0-9\n' '-' | tr -s '-')
	verdicts=$("$spatch" --very-quiet --no-includes --sp-file "$cocci" \
		-D report "$f" 2>/dev/null | sed -n 's/^[^:]*:\([0-9]*\):[^ ]* \[convert\] /line \1: /p')
	out=$(printf '%s/%04d-%s-convert-get_user_pages-to-pin_user_pages.patch' \
		"$outdir" "$n" "$slug")
	{
		echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
		echo "From: $author"
		echo "Subject: [PATCH] $prefix: convert get_user_pages() to pin_user_pages()"
		echo
		note "$f"
		echo
		echo "This patch was generated with scripts/coccinelle/gup_to_pin.cocci,"
		echo "which converts a call site only when the pages reach a DMA,"
		echo "scatterlist, bio or physical-address user (or are written"
		echo "through the CPU and dirtied) and every release of them is"
		echo "found in the same file and converted with it:"
		echo
		printf '%s\n' "$verdicts" | sed 's/^/  /'
		echo
		echo "Build-tested with sparse by make cocci-drivers, on the arch and"
		echo "defconfig listed in tools/testing/page_pin/cocci/drivers.build; not"
		echo "run on hardware.  Comments that still name get_user_pages*() are not"
		echo "updated by the script."
		echo "---"
		echo
		cat "$tmp/diff"
	} >"$out"
	echo "$out"
done <"$tmp/files"

if [ "$n" -eq 0 ]; then
	echo "nothing to convert under $base/drivers"
fi
