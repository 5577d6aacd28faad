#!/usr/bin/env bash
# CoreDump's one entry point. Verbs:
#   demo       build, then capture a real crash and show it end to end (no kernel settings touched)
#   test       build, then run every test; ends with "N passed, N failed"
#   build      native-AOT publish of cdm and uploader into out/bin
#   bench      side-by-side benchmark vs its peers (bench/run.sh) [RUNS]; bench levels: per-chunk zlib and ISA-L levels
#   e2e        the real-kernel test under qemu (tests/e2e/run.sh)
#   stress     the attack and fault suite (tests/stress/run.sh)
#   install    [--destdir DIR] install the files (etc/install.sh); uninstall [--destdir DIR]; package (.deb)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
OUT=$ROOT/out
BIN=$OUT/bin
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf '==> %s\n' "$*" >&2; }

# Installs what a fresh Debian machine lacks. Only missing commands trigger apt-get.
deps() {
  local need=()
  command -v gdb >/dev/null || need+=(gdb)
  command -v cc >/dev/null || need+=(gcc)
  command -v gzip >/dev/null || need+=(gzip)
  command -v tar >/dev/null || need+=(tar)
  # the tests: tar readers besides GNU tar, the strace of cdm, locks held as another user
  command -v busybox >/dev/null || need+=(busybox)
  command -v python3 >/dev/null || need+=(python3)
  command -v strace >/dev/null || need+=(strace)
  { command -v flock && command -v setpriv; } >/dev/null || need+=(util-linux)
  # ISA-L: cdm's faster deflate (loaded at run time), its header for the layout test, igzip for the bench
  [ -e /usr/lib/x86_64-linux-gnu/libisal.so.2 ] || need+=(libisal2)
  [ -e /usr/include/isa-l/igzip_lib.h ] || need+=(libisal-dev)
  command -v igzip >/dev/null || need+=(isal)
  if [ ${#need[@]} -gt 0 ]; then
    say "apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || apt-get update
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null || { echo "build.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
}

build() {
  say "dotnet restore"
  dotnet restore CoreDump.sln -v q >/dev/null
  mkdir -p "$BIN"
  for p in cdm uploader; do
    say "native AOT publish: $p"
    dotnet publish "$p/$p.csproj" -c Release -o "$BIN" --no-restore -v q -nologo \
      -p:DebugType=none -p:DebugSymbols=false | { grep -E "warning|error" || true; }
    [ -x "$BIN/$p" ] || { echo "build.sh: publishing $p failed" >&2; exit 1; }
  done
  rm -f "$BIN"/*.dbg "$BIN"/*.pdb "$BIN"/*.xml
}

verb=${1:-help}
shift || true
case "$verb" in
  build) deps; build ;;
  demo) deps; build; exec bash "$ROOT/tests/demo/demo.sh" "$BIN" "$@" ;;
  test) deps; build; exec bash "$ROOT/tests/run.sh" "$BIN" "$@" ;;
  bench)
    deps
    if [ "${1:-}" = levels ]; then shift; exec bash "$ROOT/bench/levels.sh" "$@"; fi
    build; exec bash "$ROOT/bench/run.sh" "$BIN" "$@" ;;
  e2e) deps; build; exec bash "$ROOT/tests/e2e/run.sh" "$BIN" "$@" ;;
  stress) deps; build; exec bash "$ROOT/tests/stress/run.sh" "$BIN" "$@" ;;
  install|uninstall|package)
    [ "$verb" = uninstall ] || { deps; build; }
    exec bash "$ROOT/etc/install.sh" "$verb" "$BIN" "$@" ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; [ "$verb" = help ] ;;
esac
