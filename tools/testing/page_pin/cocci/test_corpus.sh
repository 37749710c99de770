#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run scripts/coccinelle/gup_to_pin.cocci over its test corpus.
#
# Every scripts/coccinelle/tests/gup_to_pin/NAME.c is transformed in patch
# mode and compared byte for byte with NAME.res (cases that must be left
# alone have a .res identical to the .c).  A case may also carry one or
# more "// verdict: TAG" lines; report mode must then print "[TAG]" for it.
# The result is TAP-like: "ok N name" / "not ok N name", then the line
# "N passed, N failed".  Exits non-zero on any failure.
#
# With no case names it also checks that a run over many files (--dir
# --jobs 2, all files on one command line, and make coccicheck in the
# kernel tree $KTREE) gives the same verdicts and patches as one run per
# file.
#
# Usage: [KTREE=kernel-tree] test_corpus.sh [case-name...]
# spatch is taken from PATH (override with SPATCH=...).

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
cocci=scripts/coccinelle/gup_to_pin.cocci
tests=scripts/coccinelle/tests/gup_to_pin
spatch=${SPATCH:-spatch}

cd "$root"
command -v "$spatch" >/dev/null || { echo "spatch not found in PATH" >&2; exit 2; }
[ -f "$cocci" ] || { echo "$cocci missing" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ $# -gt 0 ]; then
	cases=("$@")
else
	cases=()
	for c in "$tests"/*.c; do
		cases+=("$(basename "$c" .c)")
	done
fi

n=0
pass=0
fail=0
for name in "${cases[@]}"; do
	n=$((n + 1))
	src=$tests/$name.c
	res=$tests/$name.res
	why=""
	if [ ! -f "$res" ]; then
		why="missing $res"
	else
		cp "$src" "$tmp/$name.c"
		if ! "$spatch" --very-quiet --no-show-diff --sp-file "$cocci" \
			-D patch --no-includes "$tmp/$name.c" \
			-o "$tmp/$name.out" >"$tmp/$name.log" 2>&1; then
			why="spatch failed (patch mode)"
		elif [ ! -f "$tmp/$name.out" ]; then
			why="spatch wrote no output"
		elif ! diff -u "$res" "$tmp/$name.out" >"$tmp/$name.diff"; then
			why="output differs from $name.res"
		fi
	fi
	if [ -z "$why" ] && grep -q '^// verdict: ' "$src"; then
		if ! "$spatch" --very-quiet --sp-file "$cocci" -D report \
			--no-includes "$tmp/$name.c" >"$tmp/$name.rep" 2>&1; then
			why="spatch failed (report mode)"
		else
			while read -r tag; do
				grep -qF "[$tag]" "$tmp/$name.rep" ||
					why="report lacks [$tag]"
			done < <(sed -n 's|^// verdict: *\([a-z-]*\( [A-Za-z_0-9]*\)\{0,1\}\).*|\1|p' "$src")
		fi
	fi
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "ok $n $name"
	else
		fail=$((fail + 1))
		echo "not ok $n $name # $why"
		for f in "$tmp/$name.log" "$tmp/$name.diff" "$tmp/$name.rep"; do
			[ -s "$f" ] && sed 's/^/#   /' "$f"
		done
	fi
done

# The safety net: with the put_page() rule disabled, a converted function
# keeps a put_page(); spatch must then refuse to produce any output
# instead of a half conversion.
if [ $# -eq 0 ]; then
	n=$((n + 1))
	sed '/^@put depends on patch && gup@$/s/@$/ \&\& !gup@/' "$cocci" \
		>"$tmp/broken.cocci"
	cp "$tests/conv_unlocked_single.c" "$tmp/net.c"
	if ! grep -q '&& !gup@' "$tmp/broken.cocci"; then
		why="could not disable the put rule"
	elif "$spatch" --very-quiet --no-show-diff --sp-file "$tmp/broken.cocci" \
		-D patch --no-includes "$tmp/net.c" -o "$tmp/net.out" \
		>"$tmp/net.log" 2>&1; then
		why="spatch accepted a half conversion"
	elif [ -e "$tmp/net.out" ]; then
		why="spatch wrote a half conversion"
	elif ! grep -q 'refusing to emit a half conversion' "$tmp/net.log"; then
		why="spatch failed for another reason"
	else
		why=""
	fi
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "ok $n half_conversion_safety_net"
	else
		fail=$((fail + 1))
		echo "not ok $n half_conversion_safety_net # $why"
	fi
fi

# One file at a time, whatever the invocation: spatch --dir --jobs 2 and
# make coccicheck (on the kernel tree in $KTREE) over the whole corpus must
# give exactly the verdicts and the patches of one run per file.
skip=0
if [ $# -eq 0 ]; then
	mkdir "$tmp/all"
	cp "$tests"/*.c "$tmp/all/"
	# patch headers name a random temporary file
	norm='s@/tmp/cocci-output-[0-9]*-[0-9a-f]*-@@; s@^\(---\|+++\) \([ab]\|\.\)/@\1 @'
	opts=(--very-quiet --no-includes --include-headers --sp-file "$root/$cocci")
	for mode in report patch context org; do
		for f in "$tmp"/all/*.c; do
			(cd "$tmp/all" && "$spatch" "${opts[@]}" -D $mode \
				"$(basename "$f")" 2>&1)
		done | sed -e 's|^\./||' -e "$norm" | sort >"$tmp/one.$mode"
		[ $mode = report ] || [ $mode = patch ] || continue
		(cd "$tmp/all" && "$spatch" "${opts[@]}" -D $mode --dir . \
			--jobs 2 2>&1) | sed -e 's|^\./||' -e "$norm" |
			grep -v '^diff -u -p ' | sort >"$tmp/dir.$mode"
		# all files on one command line: spatch handles them as a group
		(cd "$tmp/all" && "$spatch" "${opts[@]}" -D $mode ./*.c 2>&1) |
			sed -e 's|^\./||' -e "$norm" | sort >"$tmp/grp.$mode"
	done
	n=$((n + 1))
	if [ ! -s "$tmp/one.report" ]; then
		fail=$((fail + 1))
		echo "not ok $n multi_file_dir_jobs # no verdicts at all"
	elif cmp -s "$tmp/one.report" "$tmp/dir.report" &&
	     cmp -s "$tmp/one.patch" "$tmp/dir.patch" &&
	     cmp -s "$tmp/one.report" "$tmp/grp.report" &&
	     cmp -s "$tmp/one.patch" "$tmp/grp.patch"; then
		pass=$((pass + 1))
		echo "ok $n multi_file_dir_jobs"
	else
		fail=$((fail + 1))
		echo "not ok $n multi_file_dir_jobs # --dir --jobs 2 or one run of all files differs from one file per run"
		for m in report patch; do
			diff "$tmp/one.$m" "$tmp/dir.$m"
			diff "$tmp/one.$m" "$tmp/grp.$m"
		done | sed 's/^/#   /' | head -20
	fi
	# context and org modes: context marks the get call of every
	# [convert] verdict and nothing in a file without one; org gives every
	# get call the verdict of report mode
	n=$((n + 1))
	conv=$(grep -c '\[convert\]' "$tmp/one.report" || true)
	marked=$(grep -cE '^-.*\bget_user_pages(_fast|_unlocked|_remote|_longterm)?\s*\(' \
		"$tmp/one.context" || true)
	if [ "$conv" -gt 0 ] && [ "$conv" -eq "$marked" ]; then
		pass=$((pass + 1))
		echo "ok $n context_mode"
	else
		fail=$((fail + 1))
		echo "not ok $n context_mode # $marked get calls marked, $conv [convert] verdicts"
	fi
	n=$((n + 1))
	sed -n 's/^\([^:]*\):\([0-9]*\):[0-9-]*: \(.*\)$/\1:\2: \3/p' \
		"$tmp/one.report" | grep -v '\[unseen\]' | sort >"$tmp/rep.msgs"
	sed -n 's/^\* TODO \[\[view:\([^:]*\)::face=[^:]*::linb=\([0-9]*\)::[^]]*\]\[\(.*\)\]\]$/\1:\2: \3/p' \
		"$tmp/one.org" | sort >"$tmp/org.msgs"
	if [ -s "$tmp/org.msgs" ] && cmp -s "$tmp/rep.msgs" "$tmp/org.msgs"; then
		pass=$((pass + 1))
		echo "ok $n org_mode"
	else
		fail=$((fail + 1))
		echo "not ok $n org_mode # org and report verdicts differ"
		diff "$tmp/rep.msgs" "$tmp/org.msgs" | sed 's/^/#   /' | head -10
	fi
	n=$((n + 1))
	if [ -z "${KTREE:-}" ]; then
		skip=$((skip + 1))
		echo "ok $n make_coccicheck # SKIP KTREE (a kernel tree) not given"
	else
		make -s -C "$KTREE" coccicheck MODE=report J=2 \
			COCCI="$root/$cocci" M="$tmp/all" 2>&1 |
			sed -n "s|^$tmp/all/||p" | sort >"$tmp/cc.report"
		if cmp -s "$tmp/one.report" "$tmp/cc.report"; then
			pass=$((pass + 1))
			echo "ok $n make_coccicheck"
		else
			fail=$((fail + 1))
			echo "not ok $n make_coccicheck # differs from one file per run"
			diff "$tmp/one.report" "$tmp/cc.report" | sed 's/^/#   /' | head -20
		fi
	fi
fi

if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
