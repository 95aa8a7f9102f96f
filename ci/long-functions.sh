#!/bin/sh
# Lists the C and C++ functions of harness/ whose body is longer than a
# limit (default 100 lines), "file:line: definition: N lines" each.  A
# function runs from its definition line (column 0, not a declaration,
# preprocessor line or comment) to the next line that is exactly "}", the
# layout every file of the tree follows; N counts the lines between the two.
# Exits 1 when a function outside a test file is over the limit; test files
# (test_*.c) are listed but allowed (DESIGN.md section 8).
# Usage: ci/long-functions.sh [LIMIT [DIR]]
set -eu
limit=${1:-100}
dir=${2:-"$(dirname "$0")/../harness"}
find "$dir" -type f \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' \) | sort |
while IFS= read -r file; do
    awk -v limit="$limit" -v file="$file" '
        start == 0 && /^[A-Za-z_].*\(/ && !/;[ \t]*$/ && !/^(typedef|enum|union)/ {
            start = FNR; name = $0; next
        }
        start != 0 && /^}$/ {
            n = FNR - start - 1
            if (n > limit) printf "%s:%d: %s: %d lines\n", file, start, name, n
            start = 0
        }
    ' "$file"
done | awk '{ print } $0 !~ /\/test_[^\/]*:/ { over = 1 } END { exit over ? 1 : 0 }'
