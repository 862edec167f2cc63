#!/usr/bin/env bash
# Builds count.so, the instruction-counting plugin (plugin.c), for the installed qemu-user. Debian's qemu-user
# loads plugins but ships no plugin header: it comes from Debian's source package of the same qemu version, fetched
# through a private apt configuration (deb-src twins of this machine's sources; /etc/apt is left as it is). Checks
# the plugin on a loop of known length.
#   bash bench/arm/count/build.sh OUTDIR        -> OUTDIR/count.so
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
[ "$out/count.so" -nt "$here/plugin.c" ] && exit 0
header=$(find "$out/qemu-src" -name qemu-plugin.h 2>/dev/null | head -1 || true)
if [ -z "$header" ]; then
  version=$(dpkg-query -W -f='${source:Version}' qemu-user)
  apt=$out/apt
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$out/qemu-src"
  { cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } | sed 's/^Types: deb$/Types: deb-src/' >"$apt/parts/src.sources"
  { grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } | sed 's/^deb /deb-src /' >"$apt/src.list"
  opts=(-o Dir::Etc::SourceList="$apt/src.list" -o Dir::Etc::SourceParts="$apt/parts" -o Dir::State::Lists="$apt/lists"
        -o Dir::Cache="$apt/cache")
  apt-get "${opts[@]}" update -qq >/dev/null
  (cd "$out/qemu-src" && apt-get "${opts[@]}" source --download-only -qq "qemu=$version" >/dev/null)
  tar -C "$out/qemu-src" -xJf "$(ls "$out"/qemu-src/qemu_*.orig.tar.xz | head -1)" --wildcards '*/include/qemu/qemu-plugin.h'
  rm -f "$out"/qemu-src/qemu_*
  header=$(find "$out/qemu-src" -name qemu-plugin.h | head -1)
fi
gcc -O2 -Wall -shared -fPIC -I"$(dirname "$header")" "$here/plugin.c" -o "$out/count.tmp.so"
# a loop of 2 instructions (subs, b.ne) run 1000 times between two marks: 2000 instructions, plus the mark's own few
printf '%s\n' '.global _start' '_start:' 'mov x0, #1' 'mov x8, #0x5050' 'svc #0' 'mov x1, #1000' \
  '1: subs x1, x1, #1' 'b.ne 1b' 'mov x0, #2' 'mov x8, #0x5050' 'svc #0' 'mov x0, #0' 'mov x8, #93' 'svc #0' >"$out/loop.s"
aarch64-linux-gnu-as "$out/loop.s" -o "$out/loop.o" && aarch64-linux-gnu-ld "$out/loop.o" -o "$out/loop"
qemu-aarch64 -cpu cortex-a76 \
  -plugin "$out/count.tmp.so,outfile=$out/loop.txt,blocks=$out/loop.blocks,start=1,stop=2" "$out/loop"
n=$(awk '/^mark 1 /{a=$3} /^mark 2 /{b=$3} END{print b-a}' "$out/loop.txt")
[ "$n" -ge 2000 ] && [ "$n" -le 2010 ] || { echo "count plugin: the check loop counted $n, not 2000 + a few"; exit 1; }
b=$(awk '{n += $3 * $4} END{print n}' "$out/loop.blocks")
[ "$b" -ge 2000 ] && [ "$b" -le 2010 ] || { echo "count plugin: the check loop's blocks sum to $b, not 2000 + a few"; exit 1; }
mv "$out/count.tmp.so" "$out/count.so"
echo "built $out/count.so (a 2000-instruction loop counted $n, by blocks $b)"
