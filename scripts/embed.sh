#!/bin/sh
# embed.sh NAME < FILE > FILE.c - turn a text file into `const char NAME[]`, so that the
# binary carries it (docs/design.md, "The Python runner").
set -eu
echo "/* generated from a source file by scripts/embed.sh; do not edit */"
echo "const char $1[] ="
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/'
echo ";"
