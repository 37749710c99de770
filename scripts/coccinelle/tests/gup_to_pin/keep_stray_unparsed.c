// SPDX-License-Identifier: GPL-2.0-only
// verdict: stray-release
/*
 * A tracing macro that spatch's own macro file defines as "return"
 * (TRACE_EXIT) makes the teardown unparsable: its put loop is not
 * seen, so the get that feeds it is not converted.
 */
struct demo_cmd {
	struct page **pages;
	int nr;
};

static void demo_cmd_unmap(struct demo_cmd *cmd)
{
	int i;

	for (i = 0; i < cmd->nr; i++)
		put_page(cmd->pages[i]);
	TRACE_EXIT();
}

static int demo_cmd_map(struct demo_cmd *cmd, struct device *dev,
			unsigned long uaddr)
{
	int i, got;

	got = get_user_pages_fast(uaddr, cmd->nr, FOLL_WRITE, cmd->pages);
	if (got != cmd->nr) {
		for (i = 0; i < got; i++)
			put_page(cmd->pages[i]);
		return -EFAULT;
	}
	for (i = 0; i < cmd->nr; i++)
		demo_push(dev, dma_map_page(dev, cmd->pages[i], 0, PAGE_SIZE,
					    DMA_FROM_DEVICE));
	return 0;
}

static void demo_cmd_free(struct demo_cmd *cmd)
{
	for (int i = 0; i < cmd->nr; i++)
		put_page(cmd->pages[i]);
}
