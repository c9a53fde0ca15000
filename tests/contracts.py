#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""contracts.py - make lint: each exported function's contract is written
in one place.  The house rule (HACKING.md): the comment stating what an
rk_* function does and returns sits above its prototype in the header; its
definition in the .c file carries none.  Prints every function commented in
both places and exits 1 if there is one."""
import glob
import os
import re
import sys


def comment_before(text, pos):
    """The comment block ending right before @pos (whitespace only between,
    no blank line), or None"""
    head = text[:pos]
    stripped = head.rstrip()
    if not stripped.endswith('*/') or '\n\n' in head[len(stripped):]:
        return None
    start = stripped.rfind('/*')
    line = stripped.rfind('\n', 0, start) + 1
    if start < 0 or stripped[line:start].strip():
        return None
    return stripped[start:]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else 'src'
    found = 0
    for h in sorted(glob.glob(root + '/*/*.h')):
        ht = open(h).read()
        for n in sorted(set(re.findall(r'^[A-Za-z_][\w \*]*?\b(rk_\w+)\s*\(', ht, re.M))):
            hm = re.search(r'^[A-Za-z_][\w \*]*?\b' + n + r'\s*\(', ht, re.M)
            hc = comment_before(ht, ht.rfind('\n', 0, hm.start()) + 1)
            if not hc or n not in hc:
                continue
            for c in sorted(glob.glob(os.path.dirname(h) + '/*.c')):
                ct = open(c).read()
                cm = re.search(r'^[A-Za-z_][^;{\n]*\b' + n + r'\s*\([^;]*?\)\s*\n\{', ct, re.M | re.S)
                cc = cm and comment_before(ct, cm.start())
                if cc and n in cc:
                    print(f'{c}: {n}() is documented here and in {h}; keep the header\'s')
                    found += 1
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
