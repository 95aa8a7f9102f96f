"""include_graph.py on small synthetic trees: it passes a tree that follows
DESIGN.md's table, and names a back arrow, a folder missing from the table
and two modules calling each other.  python3 -m unittest test_include_graph
(CTest: include_graph_rules)."""

import os
import tempfile
import unittest

import include_graph as ig

DESIGN = """# x

## 2. Folders

| folder | job | depends on |
|---|---|---|
| `core/` | base | nothing |
| `run/` | runs | core |
"""


class IncludeGraph(unittest.TestCase):
    def tree(self, files):
        root = tempfile.mkdtemp()
        os.makedirs(os.path.join(root, "docs"))
        with open(os.path.join(root, "docs", "DESIGN.md"), "w") as f:
            f.write(DESIGN)
        for path, text in files.items():
            full = os.path.join(root, "harness", path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
        return root

    def test_downward_includes_pass(self):
        root = self.tree({"core/util.h": "", "core/util.c": '#include "util.h"\n',
                          "run/run.c": '#include "util.h"\n#include <stdio.h>\n'})
        self.assertEqual(ig.check(root), [])

    def test_back_arrow_is_named(self):
        root = self.tree({"core/util.c": '#include "run.h"\n', "run/run.h": ""})
        problems = ig.check(root)
        self.assertEqual(len(problems), 1)
        self.assertIn("core/util.c includes run/run.h", problems[0])

    def test_folder_outside_the_table(self):
        root = self.tree({"extra/x.c": '#include "util.h"\n', "core/util.h": ""})
        self.assertTrue(any("extra/: not in DESIGN.md" in p for p in ig.check(root)))

    def test_modules_calling_each_other(self):
        root = self.tree({"run/a.h": "", "run/b.h": "",
                          "run/a.c": '#include "b.h"\n', "run/b.c": '#include "a.h"\n'})
        self.assertEqual(ig.check(root), ["harness/run: a and b include each other's headers"])

    def test_tests_may_reach_anywhere(self):
        root = self.tree({"core/test_util.c": '#include "run.h"\n', "run/run.h": ""})
        self.assertEqual(ig.check(root), [])


if __name__ == "__main__":
    unittest.main()
