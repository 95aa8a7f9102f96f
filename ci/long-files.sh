#!/bin/sh
# Lists the source files of harness/ longer than a limit (default 800
# lines; test files test_*: 1200), "file: N lines" each, and exits 1 when
# there is one (DESIGN.md section 8).
# Usage: ci/long-files.sh [LIMIT [TEST_LIMIT [DIR]]]
set -eu
limit=${1:-800}
test_limit=${2:-1200}
dir=${3:-"$(dirname "$0")/../harness"}
find "$dir" -type f \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' \
    -o -name '*.hpp' -o -name '*.py' \) | sort |
while IFS= read -r file; do
    n=$(wc -l <"$file")
    case $(basename "$file") in
        test_*) max=$test_limit ;;
        *) max=$limit ;;
    esac
    if [ "$n" -gt "$max" ]; then
        echo "$file: $n lines (limit $max)"
    fi
done | awk '{ print } END { exit NR > 0 ? 1 : 0 }'
