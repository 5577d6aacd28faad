#!/usr/bin/env bash
# zlib-ng's levels per 1 MiB chunk of the benchmark's cores, and cdm's ChunkLevelPolicy against them
# (docs/performance.md, "The zlib level, by measurement"). Usage: levels.sh [CORE ...]  (default: python heap500 daemon)
#   CPU times are single-thread, best of two runs per chunk; sizes are against the whole core's `gzip -1`.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${CDM_BENCH_CACHE:-$HERE/../out/bench/cores}
bash "$HERE/corpus.sh" "$CACHE"
args=()
for c in "${@:-python heap500 daemon}"; do
  for name in $c; do args+=("$CACHE/$name.core" "$(gzip -1 < "$CACHE/$name.core" | wc -c)"); done
done
dotnet run -c Release --project "$HERE/levels/levels.csproj" -v q -- "${args[@]}"
