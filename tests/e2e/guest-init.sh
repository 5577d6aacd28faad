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
  cat /proc/sys/fs/suid_dumpable >$R/suid_dumpable
}

# A capture is over when the crashed processes are reaped (with a non-zero core_pipe_limit the kernel
# waits for cdm to close the pipe; with 0 it does not) and no cdm is left running. Records "timeout" if that takes too long.
wait_capture() { # ID
  i=0
  while pidof cdm >/dev/null; do
    sleep 0.1
    i=$((i + 1))
    if [ $i -gt $((CAPTURE_TIMEOUT * 10)) ]; then echo "$1" >>$R/timeouts; return 1; fi
  done
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# Waits until PID has exited (a zombie or gone), at most SECONDS; a process being dumped stays alive
# until its core is read, so a cdm that never reads would hold it here.
wait_exit() { # PID SECONDS
  i=0
  while [ -e /proc/$1 ] && [ "$(cut -d' ' -f3 /proc/$1/stat 2>/dev/null)" != Z ]; do
    sleep 0.1
    i=$((i + 1))
    [ $i -le $(($2 * 10)) ] || return 1
  done
}

# Runs CMD in the background, records "ID INDEX PID STATUS" and waits for its capture.
crash_cmd() { # ID INDEX CMD...
  local id=$1 index=$2 pid
  shift 2
  "$@" &
  pid=$!
  wait $pid
  echo "$id $index $pid $?" >>$R/pids
  wait_capture "$id"
}

crash_one() { crash_cmd "$1" "$2" "$CRASHER" "$3" "$4"; } # ID INDEX MODE NAME

# COUNT sleepers killed by one kill, all cores in flight at once. NAMES=distinct gives each its own name
# NAME01, NAME02, ... (different daemons); otherwise they share NAME (one daemon).
crash_concurrent() { # ID COUNT NAME [distinct]
  local pids="" n=1 nm pid
  while [ $n -le "$2" ]; do
    nm=$3
    [ "${4:-}" = distinct ] && nm=$3$(printf %02d $n)
    "$CRASHER" sleep "$nm" &
    pids="$pids $!"
    n=$((n + 1))
  done
  # the kill waits until every sleeper carries its name (a slow guest may take seconds), at most 20 s
  local ready=0 tries=0 p
  while [ $ready -eq 0 ] && [ $tries -lt 200 ]; do
    ready=1
    for p in $pids; do
      grep -q "^$(printf %.15s "$3")" /proc/$p/comm 2>/dev/null || ready=0
    done
    [ $ready -eq 1 ] || sleep 0.1
    tries=$((tries + 1))
  done
  sleep 0.2
  kill -SEGV $pids
  n=1
  for pid in $pids; do
    wait $pid
    echo "$1 $n $pid $?" >>$R/pids
    n=$((n + 1))
  done
  wait_capture "$1"
}

# /etc/core_file.conf edits of a scenario: conf_set replaces KEY's lines, conf_add appends a repeatable
# line; conf_restore puts back the base that run_cases saved.
conf_set() { sed -i "/^${1%%=*}=/d" /etc/core_file.conf; echo "$1" >>/etc/core_file.conf; }
conf_add() { echo "$1" >>/etc/core_file.conf; }
conf_restore() { cp /e2e/core_file.base /etc/core_file.conf; }

# Every file of a directory (hidden ones too) with size, mtime, inode and content hash.
snapshot_dir() { # DIR
  find "$1" -type f | sort | while read -r f; do
    echo "$(stat -c '%n %s %Y %i' "$f") $(sha256sum <"$f" | cut -c1-64)"
  done
}

# The real daemon (a system program /usr/sbin/NAME run as root) crashes once; then a uid-65534 process
# renamed NAME crashes COUNT times; then the real daemon crashes again. maxcore=1, so a forged identity
# would replace the real archive.
spoof_case() { # ID COUNT NAME
  local n=1
  conf_set maxcore=1
  crash_cmd "$1" 1 "/usr/sbin/$3" segv
  snapshot_dir "/var/core/$3" >$R/spoof.before
  while [ $n -le "$2" ]; do crash_cmd "$1-forger" $n "$CRASHER" -U 65534 segv "$3"; n=$((n + 1)); done
  snapshot_dir "/var/core/$3" >$R/spoof.after
  crash_cmd "$1" 2 "/usr/sbin/$3" segv
  conf_restore
}

# A crash in a new PID + mount namespace: the crasher prints the crashing process's host and namespace pid.
ns_case() { # ID NAME
  local pid rc
  "$CRASHER" ns "$2" >$R/ns.out 2>&1 &
  pid=$!
  wait $pid
  rc=$?
  echo "$1 1 $(cut -d' ' -f1 $R/ns.out) $rc" >>$R/pids
  wait_capture "$1"
}

# Two unprivileged flocks (uid 65534) on the log folder and on core_file.conf while COUNT crashes are
# captured: each capture must end in bounded time, with the admin's settings (maxcore=8 keeps them all).
locked_case() { # ID COUNT NAME
  local l1 l2 i=0 n=1 t0 pid
  "$CRASHER" -U 65534 lock /var/log >/tmp/lock-log.out 2>&1 &
  l1=$!
  "$CRASHER" -U 65534 lock /etc/core_file.conf >/tmp/lock-conf.out 2>&1 &
  l2=$!
  while [ "$(cat /tmp/lock-log.out /tmp/lock-conf.out 2>/dev/null | grep -c locked)" -lt 2 ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  cat /tmp/lock-log.out /tmp/lock-conf.out >$R/locks
  CAPTURE_TIMEOUT=20
  while [ $n -le "$2" ]; do
    t0=$(uptime_s)
    "$CRASHER" segv "$3" &
    pid=$!
    if wait_exit $pid 20; then
      wait $pid
      echo "$1 $n $pid $?" >>$R/pids
      wait_capture "$1"
    else
      echo "$1" >>$R/timeouts
      echo "$1 $n $pid stuck" >>$R/pids
    fi
    echo "$1 $n $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')" >>$R/durations
    grep -qx "$1" $R/timeouts 2>/dev/null && break # held: the next crash would only wait as long
    n=$((n + 1))
  done
  CAPTURE_TIMEOUT=120
  kill $l1 $l2
  wait # the lock holders, and any crash the locks held
  wait_capture "$1"
}

# A big core that is slow to compress (compression=9, 24 MiB of text-like heap): cdm must release the crashed
# process when the core is read and compress after. Guest times: start, crasher reaped, cdm gone.
spool_case() { # ID NAME
  local pid t0 t1
  conf_set compression=9
  t0=$(uptime_s)
  "$CRASHER" -M 24 segv "$2" &
  pid=$!
  wait $pid
  echo "$1 1 $pid $?" >>$R/pids
  t1=$(uptime_s)
  wait_capture "$1"
  echo "$t0 $t1 $(uptime_s)" >$R/spool.times
  conf_restore
}

run_case() { # ID MODE COUNT NAME-FORMAT
  local name n
  name=$(printf '%b' "$4"; echo x)
  name=${name%x}
  case "$2" in
    kill) crash_concurrent "$1" "$3" "$name" ;;
    many) crash_concurrent "$1" "$3" "$name" distinct ;;
    rotate)
      conf_set maxcore=3
      n=1
      while [ $n -le "$3" ]; do crash_one "$1" $n segv "$name"; n=$((n + 1)); done
      conf_restore ;;
    dropuid) crash_cmd "$1" 1 "$CRASHER" -u 1000 segv "$name" ;;
    spoof) spoof_case "$1" "$3" "$name" ;;
    worker) crash_one "$1" 1 worker "$name" ;;
    rlimit0) crash_cmd "$1" 1 "$CRASHER" -r 0 segv "$name" ;;
    rlimcut) crash_cmd "$1" 1 "$CRASHER" -r 65536 segv "$name" ;;
    spool) spool_case "$1" "$name" ;;
    xname) conf_add "exclude=name:$name"; crash_one "$1" 1 segv "$name"; conf_restore ;;
    xexe) conf_add "exclude=exe:/opt/e2e-excluded/*"; crash_cmd "$1" 1 /opt/e2e-excluded/crasher segv "$name"; conf_restore ;;
    xuid) conf_add "exclude=uid:4242"; crash_cmd "$1" 1 "$CRASHER" -U 4242 segv "$name"; conf_restore ;;
    xincl) # excluded by its executable, included by its name: include wins
      conf_add "exclude=exe:/opt/e2e-excluded/*"; conf_add "include=name:$name"
      crash_cmd "$1" 1 /opt/e2e-excluded/crasher segv "$name"; conf_restore ;;
    rate)
      conf_set ratelimit_burst=2
      n=1
      while [ $n -le "$3" ]; do crash_one "$1" $n segv "$name"; n=$((n + 1)); done
      conf_restore ;;
    diskuse) conf_set maxuse=1K; crash_one "$1" 1 segv "$name"; conf_restore ;;
    diskfree) conf_set keepfree=64T; crash_one "$1" 1 segv "$name"; conf_restore ;;
    ns) ns_case "$1" "$name" ;;
    locked) locked_case "$1" "$3" "$name" ;;
    *) crash_one "$1" 1 "$2" "$name" ;;
  esac
}

run_cases() {
  # most cases crash once; maxcore=8 lets the concurrent case keep all four archives
  sed -i "s/^maxcore=.*/maxcore=8/" /etc/core_file.conf
  cp /etc/core_file.conf /e2e/core_file.base
  grep -v '^#' /e2e/cases.txt | while read -r id mode sig count fn fmt; do
    [ -n "$id" ] || continue
    log "case $id"
    t0=$(uptime_s)
    run_case "$id" "$mode" "$count" "$fmt"
    echo "$id $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')" >>$R/case-seconds
  done
}

# busybox tar (the guest's only tar) lists and extracts an archive; the host compares with the metadata.
busybox_tar_check() {
  a=$(ls /var/core/e2e-segv~*/*.1.*.core.tar.gz /var/core/e2e-segv/*.1.*.core.tar.gz 2>/dev/null | head -n 1)
  echo "$a" >$R/bbtar.archive
  [ -n "$a" ] || return 0
  tar -tzf "$a" >$R/bbtar.list 2>$R/bbtar.err
  echo $? >$R/bbtar.rc
  mkdir -p /tmp/bbtar && tar -xzf "$a" -C /tmp/bbtar 2>>$R/bbtar.err
  echo $? >$R/bbtar.xrc
  for f in /tmp/bbtar/*; do echo "$(basename "$f") $(wc -c <"$f")"; done >$R/bbtar.sizes
  rm -rf /tmp/bbtar
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
  dmesg >$R/dmesg
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
busybox_tar_check
log "crashes done in $(cut -d' ' -f1 /proc/uptime) s (started at $start s)"
echo "$start $(cut -d' ' -f1 /proc/uptime)" >$R/uptime
live_install_test
hand_back
log "results written; powering off"
poweroff -f
