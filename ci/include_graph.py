#!/usr/bin/env python3
"""Checks the include graph of harness/ against docs/DESIGN.md's folder table
(issue 16): the table lists the folders in data-flow order, and a file may
include only headers of its own folder or of a folder listed above it, so no
arrow runs back up the flow and the folders form no cycle.  Within a folder,
no two modules include each other's headers (a.c including b.h while b.c
includes a.h: the two would call each other; a header that includes
another for its types is not a call).  Test files (test_*) and fuzz/ are left out: they may reach
anywhere.  Exit 0 when the graph holds, 1 with one line per broken rule.

    ci/include_graph.py [REPO_ROOT]
"""

import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SOURCES = (".c", ".cc", ".h", ".hpp")


def folder_order(design):
    """The folders of DESIGN.md's table, in its order."""
    with open(design) as f:
        text = f.read()
    section = text[text.index("## 2. Folders"):]
    return re.findall(r"^\| `([a-z_]+)/` \|", section, re.M)


def includes(path):
    with open(path, errors="replace") as f:
        return [os.path.basename(h) for h in INCLUDE.findall(f.read())]


def check(root):
    harness = os.path.join(root, "harness")
    order = folder_order(os.path.join(root, "docs", "DESIGN.md"))
    rank = {name: i for i, name in enumerate(order)}
    headers = {}  # header basename -> folder
    files = []    # (folder, file name)
    for folder in sorted(os.listdir(harness)):
        path = os.path.join(harness, folder)
        if not os.path.isdir(path) or folder == "fuzz":
            continue
        for name in sorted(os.listdir(path)):
            if name.endswith((".h", ".hpp")):
                headers.setdefault(name, folder)
            if name.endswith(SOURCES) and not name.startswith("test_"):
                files.append((folder, name))
    problems = []
    uses = {}  # (folder, module) -> modules of the same folder it includes
    for folder, name in files:
        if folder not in rank:
            problems.append("harness/%s/: not in DESIGN.md's folder table" % folder)
            rank[folder] = -1
        module = os.path.splitext(name)[0]
        for h in includes(os.path.join(harness, folder, name)):
            other = headers.get(h)
            if other is None:
                continue  # a system or third-party header
            if other == folder:
                m = os.path.splitext(h)[0]
                if m != module and name.endswith((".c", ".cc")):
                    uses.setdefault((folder, module), set()).add(m)
            elif rank.get(other, len(order)) >= rank[folder]:
                problems.append("harness/%s/%s includes %s/%s: %s/ is not above %s/ in "
                                "DESIGN.md's table" % (folder, name, other, h, other, folder))
    for (folder, a), used in sorted(uses.items()):
        for b in sorted(used):
            if a < b and a in uses.get((folder, b), ()):
                problems.append("harness/%s: %s and %s include each other's headers"
                                % (folder, a, b))
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    problems = check(root)
    for p in problems:
        print("include graph: " + p)
    if not problems:
        print("include graph: every include goes to its own folder or one above it; "
              "no two modules include each other")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
