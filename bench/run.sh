#!/usr/bin/env bash
# Side-by-side benchmark of cdm against its peers on real cores. Usage: run.sh BIN_DIR [RUNS]
#   Corpus: bench/corpus.sh (gcore of real processes), cached in $CDM_BENCH_CACHE (default out/bench/cores).
#   Per core, interleaved (A B C D E F, A B C D E F, ...), RUNS rounds (default 3), median reported. Every tool
#   gets the core on a pipe from cat, as the kernel gives it:
#     cdm          the AOT binary, run as the kernel runs it (empty environment, fds 1 and 2 closed); it uses
#                  ISA-L (libisal.so.2) when the library loads
#     cdm zlib     the same with CDM_DEFLATE_ENGINE=zlib: the fallback where libisal2 is absent
#     cdm -1       the same with compression=1 in its config (informational: what speed costs in size)
#     original     cat > core; tar czf core.tar.gz core os-release; rm core      (the design's first way)
#     tar|pigz     cat > core; tar cf - core os-release | pigz -1 -p2 > core.tar.gz; rm core
#     pigz-stdin   pigz -1 -p2 > core.gz                 (informational: no tar, no disk copy)
#     gzip -1      gzip -1 > core.gz                     (the ratio reference)
#     igzip -1/-2  igzip -1 > core.gz, igzip -2 > core.gz (ISA-L's own tool on the stream, one thread: references)
#     pipe         cat > /dev/null                       (the pipe limit)
#   wall: from starting the pipeline to its end (date +%s%N); cpu and peak RSS: GNU time (%U+%S, %M) on the
#   tool's command only (for the shell pipelines: the largest single process, CPU summed over all of them).
#   held: cdm closes stdin (releasing the crashed process) before it builds metadata.json and publishes; its
#   log line's held_ms says when. The peers keep stdin open to the end: their held time is their wall time.
#   All files (cdm's corepath, the original way's core) live in one directory on the same filesystem ($BENCH_TMP or /tmp).
set -euo pipefail
BIN=$(cd "${1:?usage: run.sh BIN_DIR [RUNS]}" && pwd)
RUNS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CACHE=${CDM_BENCH_CACHE:-$ROOT/out/bench/cores}

need=()
command -v pigz >/dev/null || need+=(pigz)
command -v igzip >/dev/null || need+=(isal)
command -v gdb >/dev/null || need+=(gdb)
command -v gcc >/dev/null || need+=(gcc)
command -v python3 >/dev/null || need+=(python3)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || apt-get update
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

bash "$HERE/corpus.sh" "$CACHE"
CORES=(${BENCH_CORES:-python heap500 daemon zero2g}) # BENCH_CORES: a subset, for a quick check

WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/cdm-bench.XXXXXX")
chmod 0755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
mkdir -m 0755 "$WORK/core" "$WORK/orig"
printf 'maxcore=1\ncorepath=%s/core\nlogfile=%s/cdm.log\n' "$WORK" "$WORK" > "$WORK/core_file.conf"
printf 'compression=1\n' | cat "$WORK/core_file.conf" - > "$WORK/core_file-1.conf"
OSR=/etc/os-release
RES=$WORK/results.tsv
: > "$RES"
seq=0

# run_one TOOL CORE: one timed run; appends "core tool wall_us user_s sys_s rss_kb in out held_ms" to $RES
# (held_ms: cdm's own log of how long it kept stdin open, i.e. the crashed process waiting; - for the peers,
# whose shell or process holds stdin until it exits).
run_one() {
  local tool=$1 name=$2 core=$CACHE/$2.core t=$WORK/time.txt out=0 start end
  seq=$((seq + 1))
  local T=(/usr/bin/time -o "$t" -f "%U %S %M")
  start=$(date +%s%N)
  case $tool in
    cdm|cdm1|cdmzlib) local conf=$WORK/core_file.conf engine=; [ "$tool" != cdm1 ] || conf=$WORK/core_file-1.conf
      [ "$tool" != cdmzlib ] || engine=CDM_DEFLATE_ENGINE=zlib
      cat "$core" | "${T[@]}" env -i CDM_CONFIG="$conf" CDM_OS_RELEASE=$OSR $engine "$BIN/cdm" "b$seq" 1700000000 1>&- 2>&- ;;
    original) cat "$core" | "${T[@]}" bash -c 'cd "$1" && cat > core && cp "$2" os-release && tar czf core.tar.gz core os-release && rm core' sh "$WORK/orig" $OSR ;;
    tarpigz) cat "$core" | "${T[@]}" bash -c 'cd "$1" && cat > core && cp "$2" os-release && tar cf - core os-release | pigz -1 -p2 > core.tar.gz && rm core' sh "$WORK/orig" $OSR ;;
    pigz) cat "$core" | "${T[@]}" pigz -1 -p2 > "$WORK/orig/core.gz" ;;
    gzip1) cat "$core" | "${T[@]}" gzip -1 > "$WORK/orig/core.gz" ;;
    igzip1|igzip2) cat "$core" | "${T[@]}" igzip "-${tool#igzip}" -c > "$WORK/orig/core.gz" ;;
    pipe) cat "$core" | "${T[@]}" cat > /dev/null ;;
  esac
  end=$(date +%s%N)
  local held=-
  case $tool in
    cdm|cdm1|cdmzlib) # the daemon's directory is b$seq~HASH (an unverified identity: the name and a hash)
         out=$(stat -c %s "$WORK"/core/b$seq~*/*.tar.gz); rm -rf "$WORK"/core/b$seq~*
         held=$(grep -o "daemon=b$seq~.*held_ms=[0-9]*" "$WORK/cdm.log" | grep -o '[0-9]*$' || echo -) ;;
    original|tarpigz) out=$(stat -c %s "$WORK/orig/core.tar.gz") ;;
    pigz|gzip1|igzip1|igzip2) out=$(stat -c %s "$WORK/orig/core.gz") ;;
  esac
  rm -f "$WORK"/orig/*
  read -r u s m < "$t"
  echo "$name $tool $(( (end - start) / 1000 )) $u $s $m $(stat -c %s "$core") $out $held" >> "$RES"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: warming the page cache with the corpus" >&2
for c in "${CORES[@]}"; do cat "$CACHE/$c.core" > /dev/null; done
TOOLS=(cdm cdmzlib cdm1 original tarpigz pigz gzip1 igzip1 igzip2 pipe)
for r in $(seq "$RUNS"); do
  for c in "${CORES[@]}"; do
    echo "bench: round $r/$RUNS $c" >&2
    for tool in "${TOOLS[@]}"; do run_one "$tool" "$c"; done
  done
done

# cdm on an empty stdin (a pipe that ends at once), nine runs with each engine ("engine wall_us" lines), next to
# two peers timed the same way in the same rounds: the floor of starting any program here (env -i true), and
# gzip -1 writing an empty .gz (a small C program that also creates a file).
EMPTY=$WORK/empty.tsv
for i in 1 2 3 4 5 6 7 8 9; do
  for engine in isal zlib true gzip; do
    seq=$((seq + 1))
    start=$(date +%s%N)
    case $engine in
      true) : | env -i /bin/true 1>&- 2>&- ;;
      gzip) : | env -i /bin/gzip -1 > "$WORK/orig/empty.gz" 2>&- ;;
      *) : | env -i CDM_CONFIG="$WORK/core_file.conf" CDM_OS_RELEASE=$OSR CDM_DEFLATE_ENGINE=$engine "$BIN/cdm" "e$seq" 1700000000 1>&- 2>&- ;;
    esac
    end=$(date +%s%N)
    echo "$engine $(( (end - start) / 1000 ))" >> "$EMPTY"
    rm -rf "$WORK"/core/e$seq~* "$WORK/orig/empty.gz"
  done
done

echo
echo "Command: ./build.sh bench   (bench/run.sh $BIN $RUNS; $(nproc) cores; median of $RUNS interleaved runs)"
echo "Load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine inflates wall times)"
mkdir -p "$ROOT/out/bench" && cp "$RES" "$ROOT/out/bench/last-results.tsv" && cp "$EMPTY" "$ROOT/out/bench/last-empty.tsv"
cp "$WORK/cdm.log" "$ROOT/out/bench/last-cdm.log"
python3 "$HERE/report.py" "$RES" "$EMPTY" "$WORK/cdm.log"
