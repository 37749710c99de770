#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian 12 package the page_pin harness needs.  Idempotent:
# packages that are already there are not downloaded again.
#
# Everything here must be enough on a minbase Debian 12 (make check-bare
# proves it): e.g. spatch's Python rules dlopen() libpython3.X.so, which
# only the -dev package ships and which coccinelle does not depend on.
set -euo pipefail

PKGS=(
	linux-source-6.12 linux-config-6.12
	build-essential gcc-arm-linux-gnueabi gcc-m68k-linux-gnu
	libc6-dev-armel-cross libc6-dev-m68k-cross
	qemu-system-x86 qemu-system-arm qemu-system-misc
	coccinelle libpython3-dev sparse flex bison bc libelf-dev libssl-dev dwarves
	ccache cpio kmod rsync xz-utils python3 git gnuplot-nox
	gcc-powerpc-linux-gnu python3-docutils python3-ply python3-git
	liburing-dev
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
