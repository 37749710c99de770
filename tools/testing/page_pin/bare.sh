#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bare-machine gate: does "make check" work on a fresh Debian 12 with
# nothing but the README's prerequisites (root, git, make)?
#
# A minbase bookworm root is made with debootstrap from the host's own apt
# sources, only make and git are installed in it, the commit under test
# (HEAD) is cloned into it, and "make check" runs there with $BARE_ARCHES
# (default m68k, the fastest kernel) after installing its own packages with
# "make deps".  The gate passes when that run ends with "0 failed" and exits
# 0.  Mounts and the root are removed afterwards, whatever happens.
#
# Usage: bare.sh [RESULTS_DIR]	(run as root; writes bare.log and bare.tsv)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
RESULTS=${1:-$ROOT/build/results}
ARCHES=${BARE_ARCHES:-m68k}
CHROOT=$ROOT/build/bare/root
LOG=$RESULTS/bare.log
mkdir -p "$RESULTS"

die() {
	echo "bare: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount)"

# The first Debian archive the host uses (not the security one).
host_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		 /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed -n -e 's/^URIs:[[:space:]]*//p' \
		       -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?//p' "$f" |
			awk '{print $1}' | grep -v -e security -e '^$' |
			grep -i debian || true
	done | head -n1
}

cleanup() {
	local m
	# Innermost first; a lazy unmount as the last resort.
	for m in $(awk -v r="$CHROOT" 'index($2, r) == 1 {print $2}' \
		   /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" || true
	done
	if awk -v r="$CHROOT" 'index($2, r) == 1 {f=1} END {exit !f}' \
	       /proc/mounts; then
		echo "bare: mounts left under $CHROOT; not removing it" >&2
		return
	fi
	rm -rf "$CHROOT"
}

command -v debootstrap >/dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends debootstrap >/dev/null
MIRROR=$(host_mirror)
[ -n "$MIRROR" ] || die "no Debian archive found in the host's apt sources"
REV=$(git -C "$ROOT" rev-parse --short HEAD)
git -C "$ROOT" diff --quiet HEAD ||
	echo "bare: uncommitted changes are not tested; testing $REV" >&2

t0=$(date +%s)
cleanup
trap cleanup EXIT
mkdir -p "$CHROOT"
echo "bare: debootstrap minbase bookworm from $MIRROR"
debootstrap --variant=minbase bookworm "$CHROOT" "$MIRROR" >"$LOG" 2>&1 ||
	die "debootstrap failed; see $LOG"
t_boot=$(($(date +%s) - t0))

# The host's Debian sources (bookworm-security included), as on any
# installed system.  Other vendors' lists are left out.
rm -f "$CHROOT"/etc/apt/sources.list
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	 /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && grep -qi debian "$f" && ! grep -q -i -e nodesource \
		-e google "$f" && cp "$f" "$CHROOT${f}"
done
cp /etc/resolv.conf "$CHROOT"/etc/resolv.conf

mount -t proc proc "$CHROOT"/proc
mount -t sysfs sys "$CHROOT"/sys
mount --rbind /dev "$CHROOT"/dev
mount --make-rslave "$CHROOT"/dev

git -C "$ROOT" bundle create "$CHROOT"/tmp/page_pin.bundle HEAD 2>>"$LOG"

echo "bare: make check ARCHES=$ARCHES in the bare root (log: $LOG)"
set +e
chroot "$CHROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	LANG=C.UTF-8 /bin/bash -ec "
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends make git >/dev/null
	git clone -q /tmp/page_pin.bundle /root/page_pin
	cd /root/page_pin
	make check ARCHES='$ARCHES'
" >>"$LOG" 2>&1
rc=$?
set -e
secs=$(($(date +%s) - t0))
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOG" | tail -n1)
echo "bare: $REV: exit $rc, '${last:-no result line}', ${secs} s" \
	"(debootstrap ${t_boot} s)"
ok=0
[ "$rc" -eq 0 ] && [[ "$last" =~ ^[0-9]+\ passed,\ 0\ failed ]] && ok=1
printf '%s\t%s\t%s\t%s\t%s\n' "$REV" "$ok" "$secs" "$t_boot" \
	"${last:-none}" >"$RESULTS"/bare.tsv
if [ "$ok" -ne 1 ]; then
	grep -E '^FAILED:' "$LOG" | head -n 20 >&2 || true
	tail -n 20 "$LOG" >&2
	exit 1
fi
