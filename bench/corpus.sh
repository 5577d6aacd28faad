#!/usr/bin/env bash
# Builds the benchmark corpus: real cores of real processes, dumped with gdb's gcore. Cores are cached in
# CACHE and reused when present (delete the directory to rebuild).  Usage: corpus.sh CACHE
set -euo pipefail
CACHE=${1:?usage: corpus.sh CACHE}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$CACHE"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# dump NAME CMD...: starts CMD, waits for it to print "ready", gcores it into $CACHE/NAME.core, kills it.
dump() {
  local name=$1; shift
  [ -s "$CACHE/$name.core" ] && return 0
  echo "corpus: building $name.core" >&2
  "$@" >"$WORK/$name.out" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do grep -q ready "$WORK/$name.out" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$WORK/$name.out" || { kill "$pid"; echo "corpus: $name never became ready" >&2; return 1; }
  gcore -o "$WORK/$name" "$pid" >/dev/null 2>&1 || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ -s "$WORK/$name.$pid" ] || { echo "corpus: gcore of $name failed" >&2; return 1; }
  # gcore leaves holes for untouched pages; the kernel streams them as zeros, so store them dense.
  cp --sparse=never "$WORK/$name.$pid" "$CACHE/$name.core.tmp" && rm -f "$WORK/$name.$pid"
  mv "$CACHE/$name.core.tmp" "$CACHE/$name.core"
}

for p in heap500 daemon zero2g; do
  [ -x "$WORK/$p" ] || gcc -O1 -pthread -o "$WORK/$p" "$HERE/corpus/$p.c" -lm -ldl
done
dump daemon env MALLOC_ARENA_MAX=1 "$WORK/daemon"
dump python "python3" "$HERE/corpus/pyheap.py"
dump heap500 "$WORK/heap500"
dump zero2g "$WORK/zero2g"
ls -l "$CACHE"/*.core >&2
