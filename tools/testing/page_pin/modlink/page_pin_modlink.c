// SPDX-License-Identifier: GPL-2.0
/*
 * Link test, built by the page_pin harness and never loaded: a module that
 * declares a GPL-incompatible license and calls folio_maybe_dma_pinned(),
 * as any module could before page_pin.  modpost refuses to link it if that
 * static inline now needs a GPL-only symbol.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>

static int __init page_pin_modlink_init(void)
{
	struct folio *folio = folio_alloc(GFP_KERNEL, 0);
	bool pinned;

	if (!folio)
		return -ENOMEM;
	pinned = folio_maybe_dma_pinned(folio);
	folio_put(folio);
	return pinned ? -EINVAL : 0;
}
module_init(page_pin_modlink_init);

MODULE_DESCRIPTION("page_pin: folio_maybe_dma_pinned() link test");
MODULE_LICENSE("Proprietary");
