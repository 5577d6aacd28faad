#!/usr/bin/env bash
# The real-kernel test (docs/e2e.md): Debian's cloud kernel under qemu runs /sbin/cdm from the project's own
# `install --destdir` tree on real crashes; the host checks every archive, runs the uploader over them, and
# checks install / uninstall / package. Prints "ok - ..." / "not ok - ..." lines and "N passed, N failed".
# usage: tests/e2e/run.sh BIN_DIR [--quick]   (--quick is accepted; the stage is always the same)
# Never touches this machine's kernel settings: core_pattern is set inside the guest only.
set -uo pipefail
BIN=$(cd "${1:?usage: run.sh BIN_DIR [--quick]}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$ROOT/out/e2e          # work dir, kept after the run for inspection
X=$W/results             # what the guest handed back, unpacked
CRASHER=$W/prog/crasher  # same absolute path on the host and in the guest
CACHE=${E2E_CACHE:-${HOME:-/root}/.cache/coredump-e2e}
for f in lib guest verify install_checks uploader_check; do source "$ROOT/tests/e2e/$f.sh"; done

STAGE_START=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
phase() { echo "==> $* (at $(elapsed "$STAGE_START") s)"; }

build_test_programs() {
  mkdir -p "$(dirname "$CRASHER")"
  cc -g -O0 -pthread -o "$CRASHER" "$ROOT/tests/programs/crasher.c"
}

run_guest() { # -> X; the boot's own result line
  local k
  k=$(fetch_kernel) || { not_ok "fetch Debian's cloud kernel (apt-get download linux-image-*-cloud-amd64)"; return 1; }
  ok "kernel: $(basename "$k") unpacked from its .deb (not installed)"
  GUEST_KERNEL_RELEASE=$(basename "$(ls "$k"/boot/vmlinuz-* | head -n 1)" | sed 's/^vmlinuz-//')
  build_guest_root "$W/root" "$k" || { not_ok "guest root from install --destdir"; return 1; }
  pack_initramfs "$W/root" "$W/initrd.gz" || { not_ok "pack the guest initramfs"; return 1; }
  phase "booting the guest ($(du -h "$W/initrd.gz" | cut -f1) initramfs, accel ${E2E_ACCEL:-tcg})"
  local t0
  t0=$(date +%s.%N)
  if boot_guest "$k" "$W/initrd.gz" "$W/result.img" "$W/serial.log" && unpack_results "$W/result.img" "$X"; then
    ok "guest booted, crashed its programs and handed back a tar ($(elapsed "$t0") s in qemu)"
  else
    not_ok "guest run (serial log: $W/serial.log)"
    tail -n 30 "$W/serial.log" 2>/dev/null | sed 's/^/  | /'
    return 1
  fi
  grep 'e2e-guest:' "$W/serial.log" | grep -E 'booted|done|could not|no /dev' | sed 's/^/  /'
}

main() {
  rm -rf "$W" && mkdir -p "$W"
  phase "host packages"
  host_packages || { not_ok "install the stage's host packages"; }
  build_test_programs && ok "test programs built with -g ($CRASHER)" || not_ok "build test programs"
  phase "install / uninstall / package checks"
  run_install_checks
  phase "real kernel under qemu"
  if run_guest; then
    phase "checking the guest's archives on the host"
    verify_guest
    verify_cases
    verify_live_install
    phase "uploader over the guest's archives"
    run_uploader_checks
  fi
  echo "e2e stage timing: $(elapsed "$STAGE_START") s wall-clock for tests/e2e/run.sh ($(nproc) cores, accel ${E2E_ACCEL:-tcg})"
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

main
