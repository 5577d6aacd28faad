#!/usr/bin/env bash
# ./build.sh demo: the main job for real, without touching this machine's kernel settings.
# A program the demo compiles crashes for real; the kernel writes its core into a private folder
# (core_pattern here is a plain file name, RLIMIT_CORE is raised for that program only); the AOT cdm gets
# the core exactly as the kernel would hand it over (stdin, env -i, fds 1 and 2 closed, %e %t arguments);
# then the uploader, when it exists, turns the archive into a report and delivers it.
set -euo pipefail
BIN=${1:?usage: demo.sh BIN_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/cdm-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "compile a test program (gcc -g) and crash it for real"
cc -g -O0 -pthread -o "$WORK/crasher" "$ROOT/tests/programs/crasher.c"
mkdir -p "$WORK/crash"
( cd "$WORK/crash" && ulimit -c unlimited && exec "$WORK/crasher" segv "demo-daemon" ) 2>/dev/null & pid=$!
wait "$pid" || true
core=$(ls "$WORK"/crash/core* | head -n 1)
ls -l "$core"

step "hand the core to cdm as the kernel does: cdm %e %t on stdin, empty environment, fds 1/2 closed"
mkdir -m 0755 "$WORK/root"
cat > "$WORK/root/core_file.conf" <<CONF
maxcore=3
corepath=$WORK/root/core
logfile=$WORK/root/cdm.log
CONF
now=$(date +%s)
( cd / && exec env -i CDM_CONFIG="$WORK/root/core_file.conf" "$BIN/cdm" "demo-daemon" "$now" \
    P="$pid" p="$pid" s=11 u=0 < "$core" 1>&- 2>&- )

step "what was captured"
find "$WORK/root/core" -printf '%M %u %8s %P\n' | sort -k4
# the directory is the crash's identity: its name, plus a hash of the executable's path (a program outside
# the system directories, docs/archive-layout.md)
archive=$(ls "$WORK"/root/core/demo-daemon*/*.core.tar.gz)
echo; echo "\$ gzip -t && tar -tzvf $(basename "$archive")"
gzip -t "$archive" && tar -tzvf "$archive"
echo; echo "metadata.json:"
tar -xzOf "$archive" metadata.json | grep -E '"(raw_name|daemon_dir|slot|crash_time|pid|signal|uid|executable_path|command_line|core_bytes_received|truncated)"'
echo; echo "cdm log:"; cat "$WORK/root/cdm.log"

step "gdb on the archived core"
mkdir -p "$WORK/x" && tar -xzf "$archive" -C "$WORK/x"
gdb -nx -batch -iex "set debuginfod enabled off" -ex bt "$WORK/crasher" "$WORK"/x/*.core 2>/dev/null | grep -E '^#'

if [ -f "$ROOT/tests/demo/uploader-demo.sh" ]; then
  step "the uploader: report, signature, delivery"
  bash "$ROOT/tests/demo/uploader-demo.sh" "$BIN" "$WORK/root"
fi
step "done"
