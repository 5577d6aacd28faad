#!/bin/busybox sh
# The guest's /init (busybox sh, PID 1). Applies the project's own sysctl.d file, crashes the programs in
# /e2e/cases.txt, waits for each capture, then writes /var/core, cdm's log and /e2e-results as a raw tar
# onto the virtio disk /dev/vda and powers off. The host checks everything (tests/e2e/verify.sh).
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# no tmpfs over /tmp: the root is already in memory, and a checkout under /tmp (CI's clone) puts the
# crasher there, at the same path as on the host
mkdir -p /tmp && chmod 1777 /tmp
R=/e2e-results
mkdir -p $R /var/log
CRASHER=$(cat /e2e/crasher-path)
CAPTURE_TIMEOUT=120 # seconds per capture, polled every 0.1 s

log() { echo "e2e-guest: $*"; }

# virtio_blk is a module in Debian's cloud kernel: load it and its dependencies (in passes, since the
# order they need is not known here), then wait for the results disk.
load_virtio() {
  todo="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk"
  for pass in 1 2 3; do
    left=""
    for m in $todo; do insmod /lib/modules/$m.ko 2>/dev/null || left="$left $m"; done
    todo=$left
  done
  [ -z "$todo" ] || log "could not load:$todo"
  i=0
  while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ -b /dev/vda ] || log "no /dev/vda: results cannot be handed back"
}

apply_sysctl() {
  sysctl -p /etc/sysctl.d/50-coredump.conf >$R/sysctl.out 2>&1
  echo $? >$R/sysctl.rc
  cat /proc/sys/kernel/core_pattern >$R/core_pattern
  cat /proc/sys/kernel/core_pipe_limit >$R/core_pipe_limit
}

# A capture is over when the crashed processes are reaped (with core_pipe_limit the kernel waits for cdm
# to close the pipe) and no cdm is left running. Records "timeout" if that takes too long.
wait_capture() { # ID
  i=0
  while pidof cdm >/dev/null; do
    sleep 0.1
    i=$((i + 1))
    if [ $i -gt $((CAPTURE_TIMEOUT * 10)) ]; then echo "$1" >>$R/timeouts; return 1; fi
  done
}

crash_one() { # ID INDEX MODE NAME
  "$CRASHER" "$3" "$4" &
  pid=$!
  wait $pid
  echo "$1 $2 $pid $?" >>$R/pids
  wait_capture "$1"
}

crash_concurrent() { # ID COUNT NAME: COUNT sleepers killed by one kill, all cores in flight at once
  pids=""
  n=1
  while [ $n -le "$2" ]; do "$CRASHER" sleep "$3" & pids="$pids $!"; n=$((n + 1)); done
  sleep 0.5
  kill -SEGV $pids
  n=1
  for pid in $pids; do
    wait $pid
    echo "$1 $n $pid $?" >>$R/pids
    n=$((n + 1))
  done
  wait_capture "$1"
}

run_case() { # ID MODE COUNT NAME-FORMAT
  name=$(printf '%b' "$4"; echo x)
  name=${name%x}
  case "$2" in
    kill) crash_concurrent "$1" "$3" "$name" ;;
    rotate)
      sed -i "s/^maxcore=.*/maxcore=3/" /etc/core_file.conf
      n=1
      while [ $n -le "$3" ]; do crash_one "$1" $n segv "$name"; n=$((n + 1)); done ;;
    *) crash_one "$1" 1 "$2" "$name" ;;
  esac
}

run_cases() {
  # most cases crash once; maxcore=8 lets the concurrent case keep all four archives
  sed -i "s/^maxcore=.*/maxcore=8/" /etc/core_file.conf
  grep -v '^#' /e2e/cases.txt | while read -r id mode sig count fn fmt; do
    [ -n "$id" ] || continue
    log "case $id"
    run_case "$id" "$mode" "$count" "$fmt"
  done
}

# Opt-in (E2E_LIVE_INSTALL=1 on the host): install.sh's live-system branch, run here where the kernel is
# disposable. A sentinel core_pattern must be saved by install and written back by uninstall.
live_install_test() {
  [ -f /e2e/live-install ] || return 0
  L=$R/live
  mkdir -p $L /e2e/bin
  cp /sbin/cdm /e2e/bin/cdm && cp /usr/sbin/cdm-uploader /e2e/bin/uploader
  echo "core-before-install" >/proc/sys/kernel/core_pattern
  echo 3 >/proc/sys/kernel/core_pipe_limit
  echo 1 >/proc/sys/fs/suid_dumpable
  /e2e/bash /e2e/repo/etc/install.sh install /e2e/bin >$L/install.out 2>&1
  echo $? >$L/install.rc
  cat /proc/sys/kernel/core_pattern >$L/pattern-installed
  cat /var/lib/cdm/core_pattern.saved >$L/saved 2>&1
  grep '^cdm-analysis:' /etc/passwd >$L/analysis-user 2>&1
  /e2e/bash /e2e/repo/etc/install.sh uninstall /e2e/bin >$L/uninstall.out 2>&1
  echo $? >$L/uninstall.rc
  cat /proc/sys/kernel/core_pattern >$L/pattern-restored
  cat /proc/sys/kernel/core_pipe_limit >$L/pipe-limit-restored
  cat /proc/sys/fs/suid_dumpable >$L/suid-dumpable-restored
  for f in /sbin/cdm /usr/sbin/cdm-uploader /etc/sysctl.d /etc/profile.d/coredump.sh /var/lib/cdm /var/lib; do
    [ -e $f ] && echo $f
  done >$L/left
  ls /etc >$L/etc-after
}

hand_back() {
  cp /etc/core_file.conf $R/core_file.conf
  echo done >$R/finished
  cd / && tar -cf /dev/vda var/core var/log e2e-results
  sync
}

log "booted $(uname -r) in $(cut -d' ' -f1 /proc/uptime) s"
hostname cdm-e2e
load_virtio
apply_sysctl
ulimit -c unlimited
start=$(cut -d' ' -f1 /proc/uptime)
run_cases
log "crashes done in $(cut -d' ' -f1 /proc/uptime) s (started at $start s)"
echo "$start $(cut -d' ' -f1 /proc/uptime)" >$R/uptime
live_install_test
hand_back
log "results written; powering off"
poweroff -f
