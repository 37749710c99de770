# SPDX-License-Identifier: GPL-2.0
#
# page_pin: entry points.  The kernel tree is prepared in build/linux from
# the Debian base package (BASE), patches/ and the overlay (kernel paths at
# the top of this repository).  Use ARCHES=..., never ARCH=..., to select
# architectures: ARCH would leak into every kernel sub-make.

PP      := python3 tools/testing/page_pin/pp.py
ARCHES  ?= x86_64 x86_64-pext arm m68k

.PHONY: all deps tree build check run

all: check

deps:
	bash tools/testing/page_pin/deps.sh

tree:
	$(PP) tree

build:
	$(PP) build $(ARCHES)

check: deps
	$(PP) check $(ARCHES)

run: deps
	$(PP) run

# Patch development: build/work holds one commit per patch on top of the
# base; "make export" writes them back to patches/.
.PHONY: work export readme
work:
	$(PP) work

export:
	$(PP) export

readme:
	$(PP) readme

# The posted series: build/series/ (cover letter + git format-patch files),
# new files folded into their patches as patches/overlay.map says.
.PHONY: series
series: deps
	$(PP) series

# Coccinelle: the tree-wide gup_to_pin verdict list on the base.
.PHONY: cocci-report
cocci-report: deps
	$(PP) cocci-report

# Everything make check does, plus the unpatched-base selftest comparison
# on every arch (make check does it on x86_64 only).
.PHONY: check-full
check-full: deps
	$(PP) check --full $(ARCHES)

# The mutation gate: each patch in tools/testing/page_pin/mutants/ breaks
# page_pin on purpose; its kernel must fail the boots its header names.
.PHONY: mutants
mutants: deps
	$(PP) mutants

# Sanitizer kernels: KASAN+UBSAN (x86_64, arm) and KCSAN (x86_64), patched
# and unpatched; a report that names page_pin, GUP or page_ext fails.
.PHONY: sanitizers
sanitizers: deps
	$(PP) sanitizers $(ARCHES)

# The bare-machine gate: make check ARCHES=m68k (BARE_ARCHES=...) in a
# debootstrap'ed minbase Debian 12 with only make and git installed.
.PHONY: check-bare
check-bare:
	bash tools/testing/page_pin/bare.sh

# Coccinelle: gup_to_pin.cocci scored on the real-code corpus
# (scripts/coccinelle/tests/gup_to_pin/real/): precision, recall and exactly
# right files per call site against hand-written expectations.
.PHONY: cocci-score
cocci-score: deps
	$(PP) cocci-score

# Build each driver conversion (drivers-patches/) with sparse, on an arch
# where the driver builds (see tools/testing/page_pin/cocci/drivers.build).
.PHONY: cocci-drivers
cocci-drivers: deps
	$(PP) cocci-drivers

# Benchmarks: pin/unpin cost on/off/base in icount-timed QEMU guests with
# non-debug kernels; TSV and plot under build/bench/.
BENCH_ARCHES ?= x86_64 m68k arm
.PHONY: bench
bench: deps
	python3 tools/testing/page_pin/bench.py $(BENCH_ARCHES)
