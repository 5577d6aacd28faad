#!/bin/bash
# The scenario of the systemd guest (docs/e2e.md, "Real systemd"), run as root by cdm-e2e.service in a
# Debian bookworm guest with systemd as PID 1. It only records facts; the host judges them. Input (from
# the input disk, unpacked into /e2e): coredump_*.deb, crasher, attack_crash, receiver ("10.0.2.2:PORT").
# Output: /e2e-out (facts = "key=value" lines, command outputs, reports, logs) written as a tar onto
# /dev/vdc when the script ends, whatever happened; the unit powers the guest off afterwards.
set -u
E=/e2e
O=/e2e-out
rm -rf "$O" && mkdir -p "$O/reports"
RECV=$(cat "$E/receiver")
T0=$(date +%s.%N)

say() { echo "sysd-guest: $* (at $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"; }
fact() { printf '%s=%s\n' "$1" "$2" >>"$O/facts"; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

finish() {
  say "handing back results"
  journalctl --no-pager -o json >"$O/journal.json" 2>/dev/null
  journalctl --no-pager -b >"$O/journal.txt" 2>/dev/null
  # the MESSAGE_IDs of cdm's records (if this build writes any), each queried as an administrator would
  for id in $(grep -E '"(_COMM|SYSLOG_IDENTIFIER)":"cdm|"_EXE":"[^"]*/cdm"' "$O/journal.json" |
    grep -oE '"MESSAGE_ID":"[0-9a-f]{32}"' | cut -d'"' -f4 | sort -u); do
    journalctl --no-pager -o json "MESSAGE_ID=$id" >"$O/journal-id-$id.json" 2>&1
  done
  cp /var/log/cdm-uploader.log /var/log/cdm.log "$O/" 2>/dev/null
  find /var/core -printf '%p %y %m %u %s\n' >"$O/var-core.txt" 2>/dev/null
  cp /var/core/*/*.report "$O/reports/" 2>/dev/null
  fact guest_seconds "$(since "$T0")"
  tar -cf /dev/vdc -C "$O" . && sync
  say "done"
}
trap finish EXIT

# GET /mark/NAME on the host's receiver: the host records the moment on its own clock
mark() {
  exec 3<>"/dev/tcp/${RECV%:*}/${RECV#*:}" || return 1
  printf 'GET /mark/%s HTTP/1.0\r\nHost: %s\r\n\r\n' "$1" "$RECV" >&3
  timeout 10 cat <&3 >/dev/null
  exec 3<&-
}

# Crashes PROGRAM ARGS... with cores allowed; prints the archive cdm stored for that pid (waits <= 120 s)
crash() {
  local pid a i
  (ulimit -c unlimited && exec "$@" >/dev/null 2>&1) &
  pid=$!
  wait "$pid"
  for i in $(seq 1 240); do
    for a in /var/core/*/*.core.tar.gz; do
      [ -e "$a.pending" ] || [ -e "$a.processed" ] || [ -e "$a.submitted" ] || continue
      if tar -xzOf "$a" metadata.json 2>/dev/null | grep -qE "\"pid\": *$pid[,} ]"; then
        echo "$pid $a"
        return 0
      fi
    done
    sleep 0.5
  done
  echo "$pid none"
  return 1
}

say "started"
# --- systemd is PID 1 and the system came up --------------------------------------------------------------
fact pid1_exe "$(readlink /proc/1/exe)"
fact pid1_comm "$(cat /proc/1/comm)"
fact system_state "$(timeout 120 systemctl is-system-running --wait 2>&1)"
fact multi_user "$(systemctl is-active multi-user.target)"
fact default_target "$(systemctl get-default)"
systemctl --failed --no-legend --no-pager >"$O/failed-units.txt" 2>&1
systemd-analyze time --no-pager >"$O/systemd-analyze.txt" 2>&1
say "systemd: $(head -n 1 "$O/systemd-analyze.txt")"

# --- network to the host (qemu user networking: the host's 127.0.0.1 is 10.0.2.2) -------------------------
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
mark boot && fact receiver_reachable yes || fact receiver_reachable no

# --- the package, installed as an administrator does: dpkg -i under the running systemd ------------------
say "dpkg -i $(basename "$E"/coredump_*.deb)"
t=$(date +%s.%N)
dpkg -i "$E"/coredump_*.deb >"$O/dpkg.txt" 2>&1
fact dpkg_rc $?
fact dpkg_seconds "$(since "$t")"
fact dpkg_status "$(dpkg-query -W -f '${Status}' coredump 2>&1)"
fact core_pattern "$(cat /proc/sys/kernel/core_pattern)"
fact core_pipe_limit "$(cat /proc/sys/kernel/core_pipe_limit)"
fact suid_dumpable "$(cat /proc/sys/fs/suid_dumpable)"
fact analysis_uid "$(id -u cdm-analysis 2>&1)"
fact analysis_gid "$(id -g cdm-analysis 2>&1)"
fact timer_enabled "$(systemctl is-enabled cdm-uploader.timer 2>&1)"
fact timer_active "$(systemctl is-active cdm-uploader.timer 2>&1)"
systemctl list-timers --all --no-pager >"$O/list-timers.txt" 2>&1

# the crash database on the host; distinctive limits, so gdb's limits are traceable to this file
cat >/etc/cdm/uploader.toml <<EOF
allow_http_hosts = ["${RECV%:*}"]
gdb_timeout_seconds = 150
analysis_memory_bytes = 1610612736
analysis_cpu_seconds = 140
analysis_max_processes = 48
analysis_output_bytes = 33554432

[[server]]
url = "http://$RECV/crash-wants"
timeout_seconds = 30
archive = "on_request"
EOF
cp /etc/cdm/uploader.toml "$O/uploader.toml"

# features that may not be in this build: the host turns them into checks when present
has_path=no
systemctl cat cdm-uploader.path >/dev/null 2>&1 && has_path=yes
fact has_path "$has_path"
[ "$has_path" = yes ] && fact path_active "$(systemctl is-active cdm-uploader.path 2>&1)"
has_doctor=no
cdm-uploader --help 2>&1 | grep -qE '^[[:space:]]+doctor([[:space:]]|$)' && has_doctor=yes
fact has_doctor "$has_doctor"

# --- crash 1: captured into /var/core, reported, delivered to the host ---------------------------------
say "crash 1 (crasher segv)"
mark crash1
t=$(date +%s.%N)
read -r pid1 a1 < <(crash "$E/crasher" segv e2e-sysd)
fact crash1_pid "$pid1"
fact crash1_archive "$a1"
fact crash1_capture_seconds "$(since "$t")"
if [ "$has_path" = yes ]; then
  # the trigger alone, no systemctl start: the archive must reach "submitted"
  for i in $(seq 1 240); do [ -e "$a1.submitted" ] && break; sleep 0.5; done
  fact path_submitted "$([ -e "$a1.submitted" ] && echo yes || echo no)"
  fact path_seconds "$(since "$t")"
  # the timer (2 min after boot, plus a random delay) must not be what ran that pass
  fact path_timer_last_trigger "$(systemctl show -p LastTriggerUSec --value cdm-uploader.timer)"
else
  systemctl start cdm-uploader.service
  fact start1_rc $?
  fact start1_seconds "$(since "$t")"
fi
fact crash1_submitted "$([ -e "$a1.submitted" ] && echo yes || echo no)"
# the server asked for the core (archive = "on_request"): submitted only once request 2 delivered it
fact crash1_sha256 "$(sha256sum <"$a1" | cut -d' ' -f1)"
fact crash1_archive_upload "$(grep -o '"archive_upload": *"[a-z_]*"' "$a1.submitted" 2>/dev/null | cut -d'"' -f4)"
fact crash1_server_id "$(grep -o '"server_crash_id": *"[^"]*"' "$a1.submitted" 2>/dev/null | cut -d'"' -f4)"
cp "$a1.submitted" "$O/crash1.submitted" 2>/dev/null
say "crash 1 handled"

# --- crash 2: the sandbox seen from outside. Its link_map names a FIFO, so gdb (reading the core) blocks in
# open() until this script writes to it: meanwhile gdb's process is inspected through /proc. -----------------
mkfifo -m 0666 /srv/e2e-fifo
say "crash 2 (attack_crash linkmap /srv/e2e-fifo)"
t=$(date +%s.%N)
read -r pid2 a2 < <(crash "$E/attack_crash" linkmap /srv/e2e-fifo)
fact crash2_pid "$pid2"
fact crash2_archive "$a2"
[ "$has_path" = yes ] || systemctl start --no-block cdm-uploader.service
gdb=""
for i in $(seq 1 600); do gdb=$(pgrep -x gdb | head -n 1); [ -n "$gdb" ] && break; sleep 0.5; done
fact gdb_seen "$([ -n "$gdb" ] && echo yes || echo no)"
fact gdb_seen_seconds "$(since "$t")"
if [ -n "$gdb" ]; then
  for i in $(seq 1 120); do # until it sleeps in open() of the FIFO
    w=$(cat "/proc/$gdb/wchan" 2>/dev/null)
    grep -q '^State:.*S' "/proc/$gdb/status" 2>/dev/null && [ -n "$w" ] && [ "$w" != 0 ] && break
    sleep 0.5
  done
  cp "/proc/$gdb/status" "$O/gdb-status.txt"
  cp "/proc/$gdb/limits" "$O/gdb-limits.txt"
  cp "/proc/$gdb/cgroup" "$O/gdb-cgroup.txt"
  tr '\0' ' ' <"/proc/$gdb/cmdline" >"$O/gdb-cmdline.txt"
  fact gdb_wchan "$(cat "/proc/$gdb/wchan")"
  fact gdb_netns "$(readlink "/proc/$gdb/ns/net")"
  fact pid1_netns "$(readlink /proc/1/ns/net)"
  fact gdb_pidns "$(readlink "/proc/$gdb/ns/pid")"
  fact pid1_pidns "$(readlink /proc/1/ns/pid)"
  nsenter --target "$gdb" --net ip -o link >"$O/gdb-links.txt" 2>&1
  # the same connection the guest made above, from gdb's network namespace
  nsenter --target "$gdb" --net timeout 10 bash -c "exec 3<>/dev/tcp/${RECV%:*}/${RECV#*:}" >"$O/gdb-connect.txt" 2>&1
  fact gdb_connect_rc $?
  n=0
  for i in $(seq 1 60); do # release every open() of the FIFO until gdb is done
    [ -d "/proc/$gdb" ] || break
    timeout 2 bash -c 'exec 4>/srv/e2e-fifo' 2>/dev/null && n=$((n + 1))
    sleep 0.5
  done
  fact fifo_releases "$n"
  fact gdb_released "$([ -d "/proc/$gdb" ] && echo no || echo yes)"
fi
say "sandbox observed; systemctl start cdm-uploader.service"

# --- a pass of the shipped units, started by hand (pulls in cdm-uploader-analyze.service) ----------------
t=$(date +%s.%N)
systemctl start cdm-uploader.service
fact start2_rc $?
fact start2_seconds "$(since "$t")"
for u in cdm-uploader-analyze.service cdm-uploader.service; do
  fact "result_${u%.service}" "$(systemctl show -p Result --value "$u")"
  fact "status_${u%.service}" "$(systemctl show -p ExecMainStatus --value "$u")"
done
fact crash2_state "$(for s in pending processed submitted rejected; do [ -e "$a2.$s" ] && echo "$s"; done)"
systemctl list-timers --all --no-pager >"$O/list-timers-end.txt" 2>&1
fact timer_active_end "$(systemctl is-active cdm-uploader.timer 2>&1)"
fact timer_last_trigger_end "$(systemctl show -p LastTriggerUSec --value cdm-uploader.timer)"

if [ "$has_doctor" = yes ]; then
  cdm-uploader doctor >"$O/doctor.txt" 2>&1
  fact doctor_rc $?
fi
