# SPDX-License-Identifier: GPL-2.0
#
# page_pin: entry points.  The kernel tree is prepared in build/linux from
# the Debian base package (BASE), patches/ and the overlay (kernel paths at
# the top of this repository).  Use ARCHES=..., never ARCH=..., to select
# architectures: ARCH would leak into every kernel sub-make.

PP      := python3 tools/testing/page_pin/pp.py
ARCHES  ?= x86_64 arm m68k

.PHONY: all deps tree build check run

all: check

deps:
	bash tools/testing/page_pin/deps.sh

tree:
	$(PP) tree

build:
	$(PP) build $(ARCHES)

check:
	$(PP) check $(ARCHES)

run:
	$(PP) run
