# SPDX-License-Identifier: GPL-2.0
#
# page_pin harness: paths, logging and the git/subprocess helpers shared by
# every module.
"""Paths, logging and the git/subprocess helpers shared by every module."""

import contextlib
import os
import re
import subprocess
import sys
import threading
import time


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..'))
BUILD = os.path.join(ROOT, 'build')
TREE = os.path.join(BUILD, 'linux')
RESULTS = os.path.join(BUILD, 'results')
# The long generated tables; README.md has the short ones.
RESULTS_DOC = os.path.join(ROOT, 'tools/testing/page_pin/RESULTS.md')


def gate_row(suite, fails, t0, arch='-', mode='-'):
    """A result row for a check that passes when fails is empty."""
    return {'arch': arch, 'mode': mode, 'suite': suite,
            'passed': int(not fails), 'failed': int(bool(fails)),
            'skipped': 0, 'failures': fails,
            'seconds': round(time.time() - t0)}


def die(msg, code=1):
    """Print a message that names the problem and exit."""
    print(f'pp: error: {msg}', file=sys.stderr)
    sys.exit(code)


def log(msg):
    print(f'pp: {msg}', flush=True)


@contextlib.contextmanager
def progress(what, expect='', announce=True):
    """Log that a long step starts (unless the caller did), then its
    elapsed time every 30 s, so that no step is silent for long."""
    t0 = time.time()
    stop = threading.Event()
    if announce:
        log(f'{what}: started{f" ({expect})" if expect else ""}')

    def tick():
        while not stop.wait(30):
            dt = int(time.time() - t0)
            log(f'{what}: {dt // 60} min {dt % 60:02d} s elapsed')
    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()


def sh(cmd, **kw):
    """Run a command, echoing it; raise on failure."""
    return subprocess.run(cmd, check=True, **kw)


def git(*args, env=None, tree=TREE, capture=True, inp=None):
    res = subprocess.run(['git', '-C', tree] + list(args), env=env,
                         input=inp, text=True,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.PIPE if capture else None)
    if res.returncode:
        raise subprocess.CalledProcessError(res.returncode, args,
                                            res.stdout, res.stderr)
    return res.stdout.strip() if capture else ''


class SeriesError(Exception):
    """The series cannot be made or does not reproduce the tested tree."""


def read_text(path):
    """A file's text, or None if it does not exist."""
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as f:
        return f.read()


def generated_block(name):
    """A generated block of README.md or RESULTS.md, for the cover letter."""
    for path in (os.path.join(ROOT, 'README.md'), RESULTS_DOC):
        m = re.search(f'<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->',
                      read_text(path) or '', re.S)
        if m:
            return m.group(1).strip()
    return f'(no {name} results)'
