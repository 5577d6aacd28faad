#!/usr/bin/env bash
# The real-systemd stage (docs/e2e.md, "Real systemd"): a minimal Debian bookworm root file system built with
# mmdebstrap (cached), systemd as PID 1 under qemu with Debian's cloud kernel, the project's .deb installed
# with dpkg -i inside the guest, then a crash captured, analysed under the shipped units' sandbox and delivered
# to a receiver on this host. Prints "ok - ..." / "not ok - ..." lines, its timing and "N passed, N failed".
# usage: tests/e2e/systemd.sh BIN_DIR [--quick]   (--quick is accepted; the stage is always the same)
# Never touches this machine's kernel settings: core_pattern is set by the package inside the guest.
set -uo pipefail
BIN=$(cd "${1:?usage: systemd.sh BIN_DIR [--quick]}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$ROOT/out/e2e-systemd  # work dir, kept after the run for inspection
X=$W/results             # what the guest handed back, unpacked
RX=$W/receiver           # what the host's receiver got
CACHE=${E2E_CACHE:-${HOME:-/root}/.cache/coredump-e2e}
SUITE=bookworm
# the guest's packages (minbase adds the Essential/required set: bash, dpkg, coreutils, tar, gzip, passwd)
SYSD_PACKAGES="systemd systemd-sysv libc6 libssl3 gdb util-linux procps iproute2 ca-certificates"
NET_MODULES="failover net_failover virtio_net"
DELIVERY_MAX=${E2E_SYSD_DELIVERY_MAX:-90} # seconds from the crash to the report on the host's receiver
for f in lib guest; do source "$ROOT/tests/e2e/$f.sh"; done

STAGE_START=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
phase() { echo "==> $* (at $(elapsed "$STAGE_START") s)"; }
fact() { sed -n "s/^$1=//p" "$X/facts" 2>/dev/null | tail -n 1; }
skipped() { ok "$* (skipped: not in this build)"; }

# The kernel settings a mistake here could change; compared at the end (read only).
host_kernel_settings() { cat /proc/sys/kernel/core_pattern /proc/sys/kernel/core_pipe_limit /proc/sys/fs/suid_dumpable; }

# The Debian mirror apt on this machine uses (E2E_DEBIAN_MIRROR overrides).
debian_mirror() {
  local m=${E2E_DEBIAN_MIRROR:-}
  [ -n "$m" ] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -E '^[[:space:]]*(URIs:|deb )' | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
  echo "${m:-http://deb.debian.org/debian}"
}

# The unit in the image that runs the scenario from the input disk (/dev/vdb) once the system is up, then
# powers off whatever happened. Type=simple: its start job ends at once, so `is-system-running --wait` can
# return while it runs.
BOOTSTRAP_UNIT='[Unit]
Description=CoreDump e2e: the scenario from the input disk (tests/e2e/systemd_guest.sh)
After=multi-user.target

[Service]
Type=simple
ExecStart=/bin/sh -c "mkdir -p /e2e && tar -xf /dev/vdb -C /e2e && exec /bin/bash /e2e/guest.sh"
ExecStopPost=/bin/systemctl --no-block poweroff
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target'

# Makes the tree boot lean under emulation: no logins, no periodic jobs, no clock sync; the test unit enabled.
customize_rootfs() { # DIR
  local r=$1 u
  echo e2e-systemd >"$r/etc/hostname"
  printf '# root is mounted by the initramfs\n' >"$r/etc/fstab"
  for u in getty@tty1.service serial-getty@ttyS0.service getty.target systemd-logind.service \
    systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
    e2scrub_reap.service fstrim.timer man-db.timer systemd-tmpfiles-clean.timer proc-sys-fs-binfmt_misc.automount \
    systemd-networkd-wait-online.service; do
    ln -sf /dev/null "$r/etc/systemd/system/$u"
  done
  printf '%s\n' "$BOOTSTRAP_UNIT" >"$r/etc/systemd/system/cdm-e2e.service"
  mkdir -p "$r/etc/systemd/system/multi-user.target.wants" "$r/srv"
  ln -sf /etc/systemd/system/cdm-e2e.service "$r/etc/systemd/system/multi-user.target.wants/cdm-e2e.service"
  ln -sf /lib/systemd/system/multi-user.target "$r/etc/systemd/system/default.target"
}

# The cache key: the suite, the package list and the customization (so a change of either rebuilds).
rootfs_key() {
  printf '%s\n' "$SUITE" "$SYSD_PACKAGES" "$(declare -f customize_rootfs)" "$BOOTSTRAP_UNIT" | sha256sum | cut -c1-12
}

# Prints the cached ext4 image of the guest's root (built once: mmdebstrap into a folder, customized, then
# mkfs.ext4 -d; the folder is removed). The guest boots it with snapshot=on, so the image never changes.
build_rootfs() {
  local dir mirror size
  dir=$CACHE/systemd-rootfs-$SUITE-$(rootfs_key)
  if [ -f "$dir/.done" ]; then echo "$dir/root.img"; return 0; fi
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.systemd-rootfs.lock" # one build at a time (worktrees share the cache); released on return
  flock 9
  if [ -f "$dir/.done" ]; then echo "$dir/root.img"; return 0; fi
  if ! command -v mmdebstrap >/dev/null || ! command -v mkfs.ext4 >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt_update
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends mmdebstrap e2fsprogs >/dev/null ||
      { echo "apt-get install mmdebstrap e2fsprogs failed" >&2; return 1; }
  fi
  mirror=$(debian_mirror)
  rm -rf "$dir" && mkdir -p "$dir"
  echo "==> mmdebstrap --variant=minbase $SUITE from $mirror into $dir (first run only)" >&2
  if ! mmdebstrap --mode=root --variant=minbase --include="${SYSD_PACKAGES// /,}" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    "$SUITE" "$dir/root" "$mirror" >"$dir/mmdebstrap.log" 2>&1; then
    echo "mmdebstrap failed ($dir/mmdebstrap.log):" >&2
    tail -n 5 "$dir/mmdebstrap.log" | sed 's/^/  | /' >&2
    return 1
  fi
  customize_rootfs "$dir/root"
  size=$(du -sm "$dir/root" | cut -f1)
  mkfs.ext4 -q -F -L e2e-root -d "$dir/root" "$dir/root.img" "$((size + 1024))M" || return 1
  rm -rf "$dir/root"
  touch "$dir/.done"
  find "$CACHE" -maxdepth 1 -name "systemd-rootfs-$SUITE-*" ! -path "$dir" -exec rm -rf {} + # older keys
  echo "$dir/root.img"
}

# A busybox initramfs that loads the virtio modules (ext4 is built into the cloud kernel), mounts /dev/vda
# and hands over to systemd.
build_initramfs() { # KERNEL_DIR OUT.gz
  local k=$1 g=$W/initramfs m f
  rm -rf "$g" && mkdir -p "$g"/{bin,proc,sys,dev,newroot,lib/modules}
  cp /bin/busybox "$g/bin/busybox"
  for m in $VIRTIO_MODULES $NET_MODULES; do
    f=$(find "$k/lib/modules" -name "$m.ko" | head -n 1)
    [ -n "$f" ] || { echo "module $m not in $k" >&2; return 1; }
    cp "$f" "$g/lib/modules/"
  done
  cat >"$g/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev
for m in $VIRTIO_MODULES $NET_MODULES; do insmod /lib/modules/\$m.ko; done
i=0; while [ ! -b /dev/vda ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
mount -t ext4 -o rw /dev/vda /newroot || { echo "sysd-initramfs: cannot mount /dev/vda"; exit 1; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /lib/systemd/systemd
EOF
  chmod 0755 "$g/init"
  (cd "$g" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$2"
}

# The input disk: a tar of what the scenario needs, padded to whole MiB.
build_input() { # DEB
  local in=$W/input
  rm -rf "$in" && mkdir -p "$in"
  cp "$1" "$in/"
  install -m 0755 "$ROOT/tests/e2e/systemd_guest.sh" "$in/guest.sh"
  cc -g -O0 -pthread -o "$in/crasher" "$ROOT/tests/programs/crasher.c" || return 1
  cc -g -O0 -o "$in/attack_crash" "$ROOT/tests/programs/attack_crash.c" -ldl || return 1
  echo "10.0.2.2:$(cat "$RX/port")" >"$in/receiver"
  tar -cf "$W/input.img" --owner=0 --group=0 -C "$in" . && truncate -s %1M "$W/input.img"
}

start_receiver() {
  rm -rf "$RX" && mkdir -p "$RX"
  python3 "$ROOT/tests/e2e/systemd_receiver.py" "$RX" >"$W/receiver.log" 2>&1 &
  RECEIVER_PID=$!
  local i
  for i in $(seq 1 50); do [ -s "$RX/port" ] && return 0; sleep 0.1; done
  return 1
}

boot() { # KERNEL_DIR INITRD IMAGE
  local vmlinuz
  vmlinuz=$(ls "$1"/boot/vmlinuz-* | head -n 1)
  rm -f "$W/result.img" "$W/serial.log" && truncate -s 64M "$W/result.img"
  timeout "${E2E_QEMU_TIMEOUT:-600}" qemu-system-x86_64 -nodefaults -smp 1 -cpu max -accel tcg -m 1024 \
    -display none -serial "file:$W/serial.log" -no-reboot -kernel "$vmlinuz" -initrd "$2" \
    -append "console=ttyS0 quiet panic=-1 rdinit=/init net.ifnames=0 systemd.show_status=1" \
    -drive "file=$3,format=raw,if=virtio,snapshot=on" \
    -drive "file=$W/input.img,format=raw,if=virtio,readonly=on" \
    -drive "file=$W/result.img,format=raw,if=virtio" \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0
}

# --- checks on what the guest and the receiver hand back ----------------------------------------------------
limit_is() { # NAME VALUE: soft and hard limit of gdb's process
  grep -E "^Max $1 +$2 +$2( |$)" "$X/gdb-limits.txt" >/dev/null
}

verify_system() {
  local state
  check "systemd is PID 1 ($(fact pid1_exe), comm $(fact pid1_comm))" \
    test "$(fact pid1_comm)" = systemd -a "$(basename "$(fact pid1_exe)")" = systemd
  state=$(fact system_state)
  check "multi-user.target reached ($(fact multi_user)); system state '$state'; $(head -n 1 "$X/systemd-analyze.txt" 2>/dev/null)" \
    test "$(fact multi_user)" = active -a "$state" = running
  [ "$state" = running ] || sed 's/^/  failed: /' "$X/failed-units.txt" 2>/dev/null
  check "the guest reaches the host's receiver over qemu user networking (10.0.2.2)" test "$(fact receiver_reachable)" = yes
}

verify_package() {
  local want
  want=$(sed -n 's/^kernel.core_pattern=//p' "$ROOT/sysctl.d/50-coredump.conf")
  check "dpkg -i the .deb under systemd: exit $(fact dpkg_rc), '$(fact dpkg_status)' ($(fact dpkg_seconds) s)" \
    test "$(fact dpkg_rc)" = 0 -a "$(fact dpkg_status)" = "install ok installed"
  [ "$(fact dpkg_rc)" = 0 ] || sed 's/^/  | /' "$X/dpkg.txt" 2>/dev/null | tail -n 20
  check "postinst applied the sysctl: core_pattern is cdm's ($(fact core_pattern))" test "$(fact core_pattern)" = "$want"
  check "postinst: core_pipe_limit $(fact core_pipe_limit), suid_dumpable $(fact suid_dumpable)" \
    test "$(fact core_pipe_limit)" = 0 -a "$(fact suid_dumpable)" = 2
  check "postinst created the analysis user cdm-analysis (uid $(fact analysis_uid))" \
    grep -qE '^[1-9][0-9]*$' <<<"$(fact analysis_uid)"
  check "the shipped timer is $(fact timer_enabled) and $(fact timer_active), in systemctl list-timers" \
    eval 'test "$(fact timer_enabled)" = enabled -a "$(fact timer_active)" = active && grep -q "cdm-uploader.timer.*cdm-uploader.service" "$X/list-timers.txt"'
  check "the timer is still active after the passes ($(fact timer_active_end); last fired: '$(fact timer_last_trigger_end)')" \
    test "$(fact timer_active_end)" = active
}

verify_crash_and_units() {
  local a1 pid1 r
  a1=$(fact crash1_archive) pid1=$(fact crash1_pid)
  check "crash of crasher (pid $pid1) captured into /var/core: ${a1#/var/core/} ($(fact crash1_capture_seconds) s)" \
    eval '[[ "$a1" == /var/core/e2e-sysd~*/e2e-sysd~*.1.*.core.tar.gz ]]'
  if [ "$(fact has_path)" = yes ]; then
    check "cdm-uploader.path is $(fact path_active) and a crash alone (no systemctl start, timer not yet fired: '$(fact path_timer_last_trigger)') got submitted in $(fact path_seconds) s" \
      eval 'test "$(fact path_active)" = active -a "$(fact path_submitted)" = yes && [[ "$(fact path_timer_last_trigger)" =~ ^(n/a|0|)$ ]]'
  else
    skipped "cdm-uploader.path triggers a pass within seconds of a crash"
    check "systemctl start cdm-uploader.service after crash 1: exit $(fact start1_rc) ($(fact start1_seconds) s)" test "$(fact start1_rc)" = 0
  fi
  check "crash 1's archive is submitted" test "$(fact crash1_submitted)" = yes
  check "systemctl start cdm-uploader.service (pulls in cdm-uploader-analyze.service): exit $(fact start2_rc) ($(fact start2_seconds) s)" \
    test "$(fact start2_rc)" = 0
  # exit 75 (another pass held the lock, e.g. the timer's) is success by the units' SuccessExitStatus
  check "the shipped units succeeded: analyze $(fact result_cdm-uploader-analyze)/status $(fact status_cdm-uploader-analyze), deliver $(fact result_cdm-uploader)/status $(fact status_cdm-uploader)" \
    eval 'test "$(fact result_cdm-uploader-analyze)" = success -a "$(fact result_cdm-uploader)" = success &&
      [[ "$(fact status_cdm-uploader-analyze)" =~ ^(0|75)$ && "$(fact status_cdm-uploader)" =~ ^(0|75)$ ]]'
  r=$X/reports/$(basename "$a1").report
  check "crash 1's report (written under the analysis unit) names crash_null_write" grep -q crash_null_write "$r"
}

verify_sandbox() {
  local uid gid n
  uid=$(fact analysis_uid) gid=$(fact analysis_gid)
  if [ "$(fact gdb_seen)" != yes ]; then
    not_ok "gdb seen while the analysis unit ran (waited $(fact gdb_seen_seconds) s)"
    return
  fi
  check "gdb observed from outside, blocked opening the FIFO its core's link_map names ($(fact gdb_seen_seconds) s after crash 2, wchan $(fact gdb_wchan), released $(fact fifo_releases) time(s))" \
    eval '[[ "$(fact gdb_wchan)" =~ fifo|pipe|partner ]] && test "$(fact fifo_releases)" -ge 1'

  check "gdb runs in cdm-uploader-analyze.service ($(cat "$X/gdb-cgroup.txt"))" grep -q '/cdm-uploader-analyze.service$' "$X/gdb-cgroup.txt"
  check "gdb ran as the analysis user: uid $uid, gid $gid (real, effective, saved, fs), no supplementary groups" \
    eval 'grep -qP "^Uid:\t$uid\t$uid\t$uid\t$uid$" "$X/gdb-status.txt" && grep -qP "^Gid:\t$gid\t$gid\t$gid\t$gid$" "$X/gdb-status.txt" && grep -qP "^Groups:\s*$" "$X/gdb-status.txt"'
  check "gdb has no capabilities (effective, permitted, bounding) and no_new_privs" \
    eval 'grep -qP "^CapEff:\t0+$" "$X/gdb-status.txt" && grep -qP "^CapPrm:\t0+$" "$X/gdb-status.txt" && grep -qP "^CapBnd:\t0+$" "$X/gdb-status.txt" && grep -qP "^NoNewPrivs:\t1$" "$X/gdb-status.txt"'
  n=$(grep -c . "$X/gdb-links.txt" 2>/dev/null)
  check "gdb had no network: its own namespace ($(fact gdb_netns), PID 1 has $(fact pid1_netns)) with only a loopback that is down" \
    eval 'test "$(fact gdb_netns)" != "$(fact pid1_netns)" -a "$n" = 1 && grep -qE "^1: lo: <LOOPBACK> .*state DOWN" "$X/gdb-links.txt"'
  check "from gdb's namespace the host's receiver is unreachable ($(head -n 1 "$X/gdb-connect.txt" | sed 's/^.*: //'))" \
    test "$(fact gdb_connect_rc)" != 0 -a "$(fact receiver_reachable)" = yes
  check "gdb in its own PID namespace ($(fact gdb_pidns))" test "$(fact gdb_pidns)" != "$(fact pid1_pidns)"
  check "gdb's limits are the configured ones: address space 1610612736, cpu 140 s, processes 48, file size 33554432, no core" \
    eval 'limit_is "address space" 1610612736 && limit_is "cpu time" 140 && limit_is processes 48 && limit_is "file size" 33554432 && limit_is "core file size" 0'
  check "crash 2 (hostile link_map) still reported and delivered after gdb was released: $(fact crash2_state)" \
    eval 'test "$(fact gdb_released)" = yes -a "$(fact crash2_state)" = submitted && grep -q attack_crash_here "$X/reports/$(basename "$(fact crash2_archive)").report"'
}

verify_receiver() {
  local tmark tpost post n s
  tmark=$(awk '$2 == "GET" && $3 == "/mark/crash1" { print $1; exit }' "$RX/log" 2>/dev/null)
  for post in $(awk '$2 == "POST" { print $6 }' "$RX/log" 2>/dev/null); do
    if grep -q crash_null_write "$RX/$post.POST"; then n=$post; break; fi
  done
  if [ -z "$tmark" ] || [ -z "${n:-}" ]; then
    not_ok "the receiver on the host got crash 1's report (mark: ${tmark:-none}; $(grep -c POST "$RX/log" 2>/dev/null || echo 0) POSTs)"
    return
  fi
  tpost=$(awk -v n="$n" '$6 == n { print $1 }' "$RX/log")
  s=$(awk -v a="$tmark" -v b="$tpost" 'BEGIN { printf "%.1f", b - a }')
  check "the receiver on the host got crash 1's report (multipart field crash, Idempotency-Key) $s s after the crash (limit $DELIVERY_MAX s)" \
    eval 'grep -q "name=\"crash\"" "$RX/$n.POST" && grep -qi "^Idempotency-Key: [0-9a-f]\{32\}" "$RX/$n.headers" && awk -v s="$s" -v m="$DELIVERY_MAX" "BEGIN { exit !(s <= m) }"'
  verify_archive_on_request "$n"
}

# archive = "on_request" (docs/crashdb-protocol.md): the receiver answered crash 1's report with
# {"archive": "wanted", "id": "e2e-NNN"}; the core must follow once, in request 2, byte for byte.
verify_archive_on_request() {
  local n=$1 key posts m got
  key=$(sed -n 's/^[Ii]dempotency-[Kk]ey: *\([0-9a-f]*\).*$/\1/p' "$RX/$n.headers" | tr -d '\r')
  posts=$(awk -v k="$key.archive" '$2 == "POST" && $5 == k { print $6 }' "$RX/log")
  m=$(echo "$posts" | head -n 1)
  got=$([ -n "$m" ] && python3 - "$RX/$m.headers" "$RX/$m.POST" "$key" <<'PY'
import email.parser, email.policy, hashlib, sys
head = open(sys.argv[1]).read()
ctype = [l.split(":", 1)[1].strip() for l in head.splitlines() if l.lower().startswith("content-type:")][0]
msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
    b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + open(sys.argv[2], "rb").read())
parts = {p.get_param("name", header="content-disposition"): p.get_payload(decode=True) for p in msg.iter_parts()}
ok = parts.get("report_id", b"").decode().strip() == sys.argv[3]
print(hashlib.sha256(parts.get("archive", b"")).hexdigest() if ok else "report_id-mismatch")
PY
)
  check "on_request: the server asked for crash 1's core and got it once, byte for byte (request $m, Idempotency-Key <report id>.archive, sha256 ${got:0:12}…)" \
    eval 'test "$(echo "$posts" | grep -c .)" = 1 -a -n "$got" -a "$got" = "$(fact crash1_sha256)"'
  check "on_request: crash 1's marker says the archive was uploaded and keeps the server's id ($(fact crash1_archive_upload), $(fact crash1_server_id))" \
    test "$(fact crash1_archive_upload)" = uploaded -a "$(fact crash1_server_id)" = "e2e-$n"
}

# journald records and doctor are features of later builds: checked when this build has them.
# A record of cdm's (by comm, identifier or executable) one of whose fields is the crashed pid.
CDM_RECORD='select(.MESSAGE_ID != null and (._COMM == "cdm" or (.SYSLOG_IDENTIFIER // "" | startswith("cdm")) or (._EXE // "" | endswith("/cdm")))) | select([.[]] | index($pid) != null)'
verify_optional() {
  local pid1
  pid1=$(fact crash1_pid)
  if grep -aq MESSAGE_ID "$BIN/cdm" || grep -aqP 'M\x00E\x00S\x00S\x00A\x00G\x00E\x00_\x00I\x00D' "$BIN/cdm"; then
    check "journalctl MESSAGE_ID=<id> shows cdm's capture record of pid $pid1 ($(ls "$X"/journal-id-*.json 2>/dev/null | sed 's/.*journal-id-//; s/\.json$//' | xargs))" \
      eval 'cat "$X"/journal-id-*.json 2>/dev/null | jq -c --arg pid "$pid1" "$CDM_RECORD" | grep -q .'
  else
    skipped "journalctl shows cdm's capture record by MESSAGE_ID"
  fi
  if [ "$(fact has_doctor)" = yes ]; then
    check "cdm-uploader doctor exits 0 in the guest ($(fact doctor_rc))" test "$(fact doctor_rc)" = 0
    [ "$(fact doctor_rc)" = 0 ] || sed 's/^/  | /' "$X/doctor.txt" | tail -n 20
  else
    skipped "cdm-uploader doctor passes"
  fi
}

main() {
  local before k img deb t0 s
  before=$(host_kernel_settings)
  rm -rf "$W" && mkdir -p "$W"
  phase "host packages"
  host_packages || not_ok "install the stage's host packages"
  command -v python3 >/dev/null || apt-get install -y -qq --no-install-recommends python3 >/dev/null ||
    not_ok "install python3 (the host's receiver)"
  phase "guest root file system (mmdebstrap, cached in $CACHE)"
  t0=$(date +%s.%N)
  if img=$(build_rootfs); then
    ok "Debian $SUITE minbase + $SYSD_PACKAGES: $(basename "$(dirname "$img")") ($(du -h --apparent-size "$img" | cut -f1) image, $(elapsed "$t0") s)"
  else
    not_ok "build the guest's root file system with mmdebstrap from $(debian_mirror) (see above)"
    img=""
  fi
  k=$(fetch_kernel) || { not_ok "fetch Debian's cloud kernel (apt-get download linux-image-*-cloud-amd64)"; k=""; }
  phase "the .deb and the guest's inputs"
  deb=$(bash "$ROOT/etc/install.sh" package "$BIN" --out "$W/deb" 2>"$W/package.log") && [ -f "$deb" ] ||
    { not_ok "build the .deb (install.sh package): $(tail -n 1 "$W/package.log")"; deb=""; }
  start_receiver || not_ok "start the receiver on 127.0.0.1"
  if [ -n "$img" ] && [ -n "$k" ] && [ -n "$deb" ] && [ -s "$RX/port" ]; then
    if build_input "$deb" && build_initramfs "$k" "$W/initrd.gz"; then
      ok "inputs: $(basename "$deb"), crasher, attack_crash; receiver on 127.0.0.1:$(cat "$RX/port")"
      phase "booting systemd under qemu (accel tcg)"
      t0=$(date +%s.%N)
      boot "$k" "$W/initrd.gz" "$img"
      s=$(elapsed "$t0")
      if mkdir -p "$X" && tar -xf "$W/result.img" -C "$X" 2>/dev/null && [ -s "$X/facts" ]; then
        ok "guest booted systemd, ran the scenario and handed back its results ($s s in qemu, $(fact guest_seconds) s of scenario)"
        grep 'sysd-guest:' "$W/serial.log" | sed 's/^.*sysd-guest:/  guest:/'
        phase "checking the guest's results on the host"
        verify_system
        verify_package
        verify_crash_and_units
        verify_sandbox
        verify_receiver
        verify_optional
      else
        not_ok "guest run ($s s; serial log: $W/serial.log)"
        tail -n 30 "$W/serial.log" 2>/dev/null | sed 's/^/  | /'
      fi
    else
      not_ok "build the guest's input disk and initramfs"
    fi
  fi
  [ -n "${RECEIVER_PID:-}" ] && kill "$RECEIVER_PID" 2>/dev/null
  check "this machine's kernel settings are untouched (core_pattern, core_pipe_limit, suid_dumpable)" \
    test "$before" = "$(host_kernel_settings)"
  echo "systemd stage timing: $(elapsed "$STAGE_START") s wall-clock for tests/e2e/systemd.sh ($(nproc) cores, accel tcg)"
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

main
