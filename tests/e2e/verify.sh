# Host-side checks of what the guest handed back (sourced by run.sh). Uses: ROOT X (unpacked results)
# CRASHER. Every archive is checked with the real gzip, tar, readelf and gdb, and its metadata with jq.

# What the guest itself reports: it finished, no capture timed out, the sysctl line is the installed one.
verify_guest() {
  local want
  want=$(sed -n 's/^kernel\.core_pattern=//p' "$ROOT/sysctl.d/50-coredump.conf")
  check "guest ran every case and handed results back" test -f "$X/e2e-results/finished"
  check "guest: sysctl -p of the installed 50-coredump.conf succeeded" grep -qx 0 "$X/e2e-results/sysctl.rc"
  check "guest: core_pattern is the installed line, unchanged ($want)" \
    test "$(cat "$X/e2e-results/core_pattern" 2>/dev/null)" = "$want"
  check "guest: fs.suid_dumpable=2 after sysctl -p (daemons that change credentials are dumped)" \
    grep -qx 2 "$X/e2e-results/suid_dumpable"
  check "guest: core_pipe_limit=$(cat "$X/e2e-results/core_pipe_limit" 2>/dev/null) lets 16 crashes in at once (0 or >= 16)" \
    eval '[ "$(cat "$X/e2e-results/core_pipe_limit")" -eq 0 ] || [ "$(cat "$X/e2e-results/core_pipe_limit")" -ge 16 ]'
  check "guest: the kernel skipped no core dump (no 'core_pipe_limit' / 'Skipping core dump' in dmesg)" \
    eval '! grep -aiE "over core_pipe_limit|skipping core dump" "$X/e2e-results/dmesg"'
  check "guest: cdm itself never crashed (no '(cdm) has RLIMIT_CORE set to 1' in dmesg)" cdm_never_crashed
  check "guest: every capture finished within its timeout" test ! -s "$X/e2e-results/timeouts"
  check "guest: no capture temporaries (.*.tmp) left under var/core" \
    test -z "$(find "$X/var/core" -name '.*.tmp' 2>/dev/null)"
}

# The kernel logs "Process N(cdm) has RLIMIT_CORE set to 1" when the helper itself dumps (cdm keeps
# RLIMIT_CORE=1 so that it is never piped to itself): such a crash is lost without a log line.
cdm_never_crashed() {
  local n
  n=$(grep -ac '(cdm) has RLIMIT_CORE' "$X/e2e-results/dmesg")
  [ "$n" = 0 ] && return 0
  echo "  cdm crashed $n times in the guest; its log cannot say why. A library it loads with dlopen may be"
  echo "  missing from the guest (OpenSSL for SHA-256): E2E_EXTRA_LIBS='/lib/x86_64-linux-gnu/libssl.so.3"
  echo "  /lib/x86_64-linux-gnu/libcrypto.so.3' adds it, to tell (docs/e2e.md, guest root)"
  return 1
}

# pid recorded by the guest for case ID, crash number N
recorded_pid() { awk -v id="$1" -v n="$2" '$1 == id && $2 == n { print $3 }' "$X/e2e-results/pids"; }

# Expected archives of a case as "SLOT PID" lines, from its mode and the slot rule.
expected_slots() { # ID MODE COUNT
  local n
  case "$2" in
    rotate) # maxcore=3: crashes 1 and 2 keep slots 1 and 2, each later one replaces slot 3; the 5th stays
      echo "1 $(recorded_pid "$1" 1)"; echo "2 $(recorded_pid "$1" 2)"; echo "3 $(recorded_pid "$1" "$3")" ;;
    kill) for n in $(seq 1 "$3"); do echo "$n ?"; done ;; # concurrent: slot order is the kernel's
    *) echo "1 $(recorded_pid "$1" 1)" ;;
  esac
}

verify_cases() {
  local id mode sig count fn fmt
  index_core_archives
  while read -r -u 3 id mode sig count fn fmt; do
    [ -n "$id" ] && [ "${id#\#}" = "$id" ] || continue
    case "$mode" in
      segv | segv2 | abort | fpe | bus | threads | kill | rotate)
        verify_case "$id" "$mode" "$sig" "$count" "$fn" "$fmt" </dev/null ;;
      *) "verify_$mode" "$id" "$sig" "$count" "$fn" "$fmt" </dev/null ;;
    esac
  done 3<"$ROOT/tests/e2e/cases.txt"
  verify_busybox_tar
}

verify_case() { # ID MODE SIGNAL COUNT FUNCTION FORMAT
  local id=$1 mode=$2 sig=$3 count=$4 fn=$5 dir path slot pid archives want_n pids_seen=""
  dir=$(ident_dir "$6" 0 "$CRASHER")
  path="$X/var/core/$dir"
  want_n=$(expected_slots "$id" "$mode" "$count" | wc -l)
  archives=$(core_archives "$path" | wc -l)
  check "$id: $want_n archive(s) in var/core/$dir" test "$archives" = "$want_n"
  while read -r -u 3 slot pid; do
    local a
    a=$(ls "$path"/"$dir.$slot".*.core.tar.gz 2>/dev/null | head -n 1)
    if [ -z "$a" ]; then not_ok "$id: slot $slot archive missing"; continue; fi
    if [ "$pid" = "?" ]; then pid=$(meta "$a" .pid); pids_seen="$pids_seen $pid"; fi
    verify_archive "$id#$slot" "$a" "$dir" "$slot" "$pid" "$sig" "$fn" "$([ "$mode" = threads ] && echo 4 || echo 1)"
  done 3< <(expected_slots "$id" "$mode" "$count")
  if [ "$mode" = kill ]; then
    check "$id: the $count archives hold the $count crashed pids" \
      test "$(echo $pids_seen | tr ' ' '\n' | sort -n | xargs)" = "$(awk -v id="$id" '$1 == id { print $3 }' "$X/e2e-results/pids" | sort -n | xargs)"
  fi
}

# "PID ARCHIVE" for every core archive the guest made, wherever cdm filed it.
index_core_archives() {
  local a
  ARCHIVE_INDEX=$W/core-archive-index
  for a in "$X"/var/core/*/*.core.tar.gz; do
    [ -e "$a" ] && echo "$(meta "$a" .pid) ${a#"$X"/}"
  done >"$ARCHIVE_INDEX"
}

core_archives() { ls "$1" 2>/dev/null | grep '\.core\.tar\.gz$'; } # DIR
drop_records() { ls "$1" 2>/dev/null | grep '\.drop\.tar\.gz$'; }  # DIR
meta() { tar -xzOf "$1" metadata.json 2>/dev/null | jq -r "$2" 2>/dev/null; } # ARCHIVE JQ-FILTER

# A crash not stored as a core: exactly one drop record <dir>.<k>.<time>.drop.tar.gz with a .pending marker,
# holding os-release and metadata.json only, with the reason, a sentence, and the crash's notes.
verify_drop() { # LABEL DIR PID SIGNAL REASON [UID]
  local label=$1 dir=$2 pid=$3 sig=$4 reason=$5 uid=${6:-0} path d
  path="$X/var/core/$dir"
  d=$(drop_records "$path" | head -n 1)
  check "$label: no core stored for pid $pid, in var/core/$dir or anywhere else" \
    eval "[ -z '$(core_archives "$path")' ] && ! grep -q '^$pid ' '$ARCHIVE_INDEX'"
  if [ -z "$d" ]; then not_ok "$label: a drop record ($reason) in var/core/$dir"; return; fi
  check "$label: one drop record $d with a .pending marker" \
    eval "[ '$(drop_records "$path" | wc -l)' = 1 ] && [ -e '$path/$d.pending' ] && [[ '$d' =~ ^$(re_quote "$dir")\\.[0-9]+\\.[0-9]+\\.drop\\.tar\\.gz$ ]]"
  check "$label: drop record is gzip -t clean and holds os-release, metadata.json only" drop_well_formed "$path/$d"
  check "$label: drop record metadata drop_reason=$reason, drop_detail, pid=$pid signal=$sig uid=$uid" \
    drop_metadata_ok "$path/$d" "$reason" "$pid" "$sig" "$uid"
}

jq_true() { jq -e "$@" >/dev/null; } # JQ-ARGS...: the filter's result is true

re_quote() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }

drop_well_formed() {
  gzip -t "$1" 2>/dev/null || return 1
  local members
  members=$(tar -tzf "$1" 2>/dev/null | xargs)
  [ "$members" = "os-release metadata.json" ] || { echo "  members: $members"; return 1; }
}

drop_metadata_ok() { # ARCHIVE REASON PID SIGNAL UID
  local got
  got=$(tar -xzOf "$1" metadata.json 2>/dev/null | jq -c --arg r "$2" --argjson pid "$3" --argjson sig "$4" --argjson uid "$5" \
    '{drop_reason, drop_detail, pid, signal, uid, core_bytes_received} | . as $m
     | ($m.drop_reason == $r and ($m.drop_detail | type) == "string" and ($m.drop_detail | length) > 0
        and $m.pid == $pid and $m.signal == $sig and $m.uid == $uid and ($m.core_bytes_received | type) == "number")
       as $good | {good: $good, m: $m}' 2>&1)
  [ "$(jq -r .good <<<"$got" 2>/dev/null)" = true ] || { echo "  metadata: $got"; return 1; }
}

# A daemon that starts as root and drops to uid 1000 before crashing (dumpable 2, kept by suid_dumpable=2).
verify_dropuid() { # ID SIGNAL COUNT FUNCTION FORMAT
  local dir a
  dir=$(ident_dir "$5" 1000 "$CRASHER")
  a=$(ls "$X/var/core/$dir"/"$dir".1.*.core.tar.gz 2>/dev/null | head -n 1)
  check "$1: archived in var/core/$dir (uid suffix)" test -n "$a"
  [ -n "$a" ] || return
  verify_archive "$1" "$a" "$dir" 1 "$(recorded_pid "$1" 1)" "$2" "$4" 1 "$CRASHER" 1000
  check "$1: metadata dumpable=2" test "$(meta "$a" .dumpable)" = 2
}

# 16 different daemons (names NAME01..NAME16) killed by one kill: each in its own directory, none lost.
verify_many() { # ID SIGNAL COUNT FUNCTION FORMAT
  local n nm dir a pid missing="" first=""
  for n in $(seq 1 "$3"); do
    nm=$5$(printf %02d "$n")
    dir=$(ident_dir "$nm" 0 "$CRASHER")
    pid=$(recorded_pid "$1" "$n")
    a=$(ls "$X/var/core/$dir"/"$dir".1.*.core.tar.gz 2>/dev/null | head -n 1)
    # the index says which archive holds the pid (its metadata), so each archive is read once here
    if [ -n "$a" ] && [ "$(core_archives "$X/var/core/$dir" | wc -l)" = 1 ] && grep -qxF "$pid ${a#"$X"/}" "$ARCHIVE_INDEX" &&
      tar -tzf "$a" >/dev/null 2>&1; then
      [ -n "$first" ] || first="$a $dir $pid"
    else
      missing+=" $nm(pid $pid)"
    fi
  done
  check "$1: all $3 daemons crashing at once archived, each alone in its directory with its own pid${missing:+ (missing or wrong:$missing)}" \
    test -z "$missing"
  [ -z "$first" ] || verify_archive "$1#01" ${first% *} 1 "${first##* }" "$2" "$4" 1
}

# The real root daemon /usr/sbin/NAME, then 12 crashes of a uid-65534 process renamed NAME, then the real
# daemon again (maxcore=1): the forger gets its own directory and budget.
verify_spoof() { # ID SIGNAL COUNT FUNCTION FORMAT
  local id=$1 real forger a fa pid2 drops
  real=$(ident_dir "$5" 0 "$SYSTEM_DAEMON")
  forger=$(ident_dir "$5" 65534 "$CRASHER")
  check "$id: the real daemon (root, $SYSTEM_DAEMON) keeps the seed's naming var/core/$real" test "$real" = "$(safe_name "$5")"
  check "$id: before the forger, var/core/$real held the real daemon's archive" \
    test "$(grep -c '\.core\.tar\.gz ' "$X/e2e-results/spoof.before" 2>/dev/null)" = 1
  check "$id: the forger's $3 crashes left var/core/$real untouched (same files, sizes, mtimes, inodes, sha256)" \
    cmp -s "$X/e2e-results/spoof.before" "$X/e2e-results/spoof.after"
  pid2=$(recorded_pid "$id" 2)
  a=$(ls "$X/var/core/$real"/"$real".1.*.core.tar.gz 2>/dev/null | head -n 1)
  check "$id: the real daemon's later crash is captured (slot 1 of maxcore=1 holds pid $pid2), not rate-limited" \
    eval "[ -n '$a' ] && [ '$(meta "$a" .pid)' = '$pid2' ] && [ '$(core_archives "$X/var/core/$real" | wc -l)' = 1 ] && [ -z '$(drop_records "$X/var/core/$real")' ]"
  [ -z "$a" ] || verify_archive "$id#real" "$a" "$real" 1 "$pid2" "$2" "$4" 1 "$SYSTEM_DAEMON" 0
  fa=$(ls "$X/var/core/$forger"/"$forger".1.*.core.tar.gz 2>/dev/null | head -n 1)
  check "$id: the forger's crashes are filed under var/core/$forger (uid 65534, its executable)" \
    eval "[ -n '$fa' ] && [ '$(meta "$fa" .uid)' = 65534 ] && [ '$(meta "$fa" .process_name)' = '$5' ]"
  drops=$(for d in $(drop_records "$X/var/core/$forger"); do meta "$X/var/core/$forger/$d" .drop_reason; done | sort | uniq -c | xargs)
  check "$id: the forger's own budget (ratelimit_burst=10) left $(($3 - 10)) rate_limited drop records in its directory (got: ${drops:-none})" \
    test "$drops" = "$(($3 - 10)) rate_limited"
  check "$id: no other directory for the name $5" \
    test "$(ls "$X/var/core" | grep -E "^$(re_quote "$(safe_name "$5")")([@~]|$)" | sort | xargs)" = "$(printf '%s\n' "$real" "$forger" | sort | xargs)"
}

# A worker thread named mt-io-0 crashes: filed under the process's name, not the thread's.
verify_worker() { # ID SIGNAL COUNT FUNCTION FORMAT
  local dir a
  dir=$(ident_dir "$5" 0 "$CRASHER")
  a=$(ls "$X/var/core/$dir"/"$dir".1.*.core.tar.gz 2>/dev/null | head -n 1)
  check "$1: filed under the process's name: var/core/$dir" test -n "$a"
  check "$1: no directory for the thread's name mt-io-0" test -z "$(ls "$X/var/core" | grep '^mt-io-0')"
  [ -n "$a" ] || return
  verify_archive "$1" "$a" "$dir" 1 "$(recorded_pid "$1" 1)" "$2" "$4" 2
  check "$1: metadata process_name is the process's ($5)" test "$(meta "$a" .process_name)" = "$5"
}

verify_rlimit0() { verify_drop "$1 (RLIMIT_CORE=0)" "$(ident_dir "$5" 0 "$CRASHER")" "$(recorded_pid "$1" 1)" "$2" rlimit_core; }

# The crashed process is released when its core is read: cdm set chunks aside (spooled=), closed stdin long
# before it finished, the guest saw the crasher reaped before cdm was gone, and the archive is whole.
verify_spool() { # ID SIGNAL COUNT FUNCTION FORMAT
  local dir a line spooled held ms t0 t1 t2 w core
  dir=$(ident_dir "$5" 0 "$CRASHER")
  a=$(ls "$X/var/core/$dir"/"$dir".1.*.core.tar.gz 2>/dev/null | head -n 1)
  check "$1 (24 MiB core, compression=9): an archive in var/core/$dir" test -n "$a"
  [ -n "$a" ] || return
  line=$(grep -a "capture daemon=$dir " "$X/var/log/cdm.log" | tail -n 1)
  spooled=$(grep -o ' spooled=[0-9]*' <<<"$line" | cut -d= -f2)
  held=$(grep -o ' held_ms=[0-9]*' <<<"$line" | cut -d= -f2)
  ms=$(grep -o ' ms=[0-9]*' <<<"$line" | cut -d= -f2)
  check "$1: cdm set chunks aside and released the process first (spooled=${spooled:-none}, held_ms=${held:-?} of ms=${ms:-?})" \
    awk -v s="${spooled:-0}" -v h="${held:--1}" -v m="${ms:-0}" 'BEGIN { exit !(s > 0 && h >= 0 && h * 2 < m) }'
  read -r t0 t1 t2 <"$X/e2e-results/spool.times"
  check "$1: the guest saw the crasher reaped ($t0 → $t1 s) well before cdm was done ($t2 s)" \
    awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { exit !((b - a) * 2 < (c - a)) }'
  w=$(mktemp -d)
  tar -xzf "$a" -C "$w" 2>/dev/null
  core=$(ls "$w"/*.core 2>/dev/null | head -n 1)
  check "$1: gzip -t, and the core is a whole ELF core of more than 24 MiB ($(stat -c %s "$core" 2>/dev/null) bytes)" \
    eval "gzip -t '$a' && [ -n '$core' ] && [ \$(stat -c %s '$core') -gt 25165824 ] && readelf -h '$core' | grep -q CORE && [ \"\$(readelf -n '$core' 2>/dev/null | grep -c NT_PRSTATUS)\" -ge 1 ]"
  rm -rf "$w"
}

# RLIMIT_CORE=64 KiB: the core is cut there and flagged, not dropped.
verify_rlimcut() { # ID SIGNAL COUNT FUNCTION FORMAT
  local dir a w core
  dir=$(ident_dir "$5" 0 "$CRASHER")
  a=$(ls "$X/var/core/$dir"/"$dir".1.*.core.tar.gz 2>/dev/null | head -n 1)
  check "$1 (RLIMIT_CORE=65536): an archive with a core in var/core/$dir" test -n "$a"
  [ -n "$a" ] || return
  w=$(mktemp -d)
  tar -xzf "$a" -C "$w" 2>/dev/null
  core=$(ls "$w"/*.core 2>/dev/null | head -n 1)
  check "$1: core cut at RLIMIT_CORE (member of $(stat -c %s "$core" 2>/dev/null) <= 65536 bytes, still an ELF core)" \
    eval "[ -n '$core' ] && [ \$(stat -c %s '$core') -le 65536 ] && [ \$(stat -c %s '$core') -gt 0 ] && readelf -h '$core' 2>/dev/null | grep -q 'CORE'"
  check "$1: metadata truncated=true with a truncated_reason, pid" \
    jq_true --argjson pid "$(recorded_pid "$1" 1)" '.truncated == true and (.truncated_reason | length) > 0 and .pid == $pid' "$w/metadata.json"
  rm -rf "$w"
}

verify_xname() { verify_drop "$1 (exclude=name:$5)" "$(ident_dir "$5" 0 "$CRASHER")" "$(recorded_pid "$1" 1)" "$2" excluded; }
verify_xexe() { verify_drop "$1 (exclude=exe:/opt/e2e-excluded/*)" "$(ident_dir "$5" 0 "$EXCLUDED_EXE")" "$(recorded_pid "$1" 1)" "$2" excluded; }
verify_xuid() { verify_drop "$1 (exclude=uid:4242)" "$(ident_dir "$5" 4242 "$CRASHER")" "$(recorded_pid "$1" 1)" "$2" excluded 4242; }

# Excluded by its executable, included by its name: include wins, stored normally.
verify_xincl() { # ID SIGNAL COUNT FUNCTION FORMAT
  local dir a
  dir=$(ident_dir "$5" 0 "$EXCLUDED_EXE")
  a=$(ls "$X/var/core/$dir"/"$dir".1.*.core.tar.gz 2>/dev/null | head -n 1)
  check "$1 (include=name:$5 beats exclude=exe:): archived in var/core/$dir, no drop record" \
    eval "[ -n '$a' ] && [ -z '$(drop_records "$X/var/core/$dir")' ]"
  [ -z "$a" ] || verify_archive "$1" "$a" "$dir" 1 "$(recorded_pid "$1" 1)" "$2" "$4" 1 "$EXCLUDED_EXE" 0
}

# ratelimit_burst=2 and 4 crashes: the first two stored in slots 1 and 2, the other two as drop records.
verify_rate() { # ID SIGNAL COUNT FUNCTION FORMAT
  local dir path d reasons pids want
  dir=$(ident_dir "$5" 0 "$CRASHER")
  path="$X/var/core/$dir"
  check "$1 (ratelimit_burst=2): crashes 1 and 2 stored in slots 1 and 2" \
    eval "[ '$(core_archives "$path" | wc -l)' = 2 ] && [ '$(meta "$(ls "$path/$dir".1.*.core.tar.gz 2>/dev/null | head -n 1)" .pid)' = '$(recorded_pid "$1" 1)' ] && [ '$(meta "$(ls "$path/$dir".2.*.core.tar.gz 2>/dev/null | head -n 1)" .pid)' = '$(recorded_pid "$1" 2)' ]"
  reasons=$(for d in $(drop_records "$path"); do meta "$path/$d" .drop_reason; done | sort | uniq -c | xargs)
  pids=$(for d in $(drop_records "$path"); do meta "$path/$d" .pid; done | sort -n | xargs)
  want=$(for n in $(seq 3 "$3"); do recorded_pid "$1" "$n"; done | sort -n | xargs)
  check "$1: crashes 3..$3 left rate_limited drop records (reasons: ${reasons:-none}; pids ${pids:-none}, want $want)" \
    eval "[ '$reasons' = '$(($3 - 2)) rate_limited' ] && [ '$pids' = '$want' ]"
  for d in $(drop_records "$path"); do
    check "$1: $d is gzip -t clean, os-release + metadata.json, with a .pending marker" \
      eval "drop_well_formed '$path/$d' && [ -e '$path/$d.pending' ]"
  done
}

verify_diskuse() { verify_drop "$1 (maxuse=1K)" "$(ident_dir "$5" 0 "$CRASHER")" "$(recorded_pid "$1" 1)" "$2" disk_guard; }
verify_diskfree() { verify_drop "$1 (keepfree=64T)" "$(ident_dir "$5" 0 "$CRASHER")" "$(recorded_pid "$1" 1)" "$2" disk_guard; }

# A crash in a new PID + mount namespace: host pid and namespace pid both recorded, marked foreign, and
# its directory hash carries the namespace marker (differs from the same executable's in the host).
verify_ns() { # ID SIGNAL COUNT FUNCTION FORMAT
  local safe host nspid dirs dir a got plain s
  safe=$(safe_name "$5")
  read -r host nspid <"$X/e2e-results/ns.out"
  check "$1: the crasher ran in a new PID namespace (host pid $host, namespace pid $nspid)" \
    eval "[[ '$host' =~ ^[0-9]+\$ ]] && [ '$nspid' = 2 ] && [ '$host' != '$nspid' ]"
  plain="$safe~$(exe_hash "$CRASHER")"
  dirs=$(ls "$X/var/core" | grep -E "^$(re_quote "$safe")~[0-9a-f]{8}\$")
  check "$1: one directory $safe~<hash>, its hash marked foreign (not $plain): ${dirs:-none}" \
    eval "[ '$(wc -w <<<"$dirs")' = 1 ] && [ '$dirs' != '$plain' ]"
  dir=$(head -n 1 <<<"$dirs")
  a=$(ls "$X/var/core/$dir"/"$dir".1.*.core.tar.gz 2>/dev/null | head -n 1)
  if [ -z "$a" ]; then not_ok "$1: archive in var/core/${dir:-$safe~?}"; return; fi
  got=$(tar -xzOf "$a" metadata.json | jq -c '{pid, namespace_pid, foreign_namespace}')
  check "$1: metadata pid=$host (host), namespace_pid=$nspid, foreign_namespace=true: $got" \
    test "$got" = "{\"pid\":$host,\"namespace_pid\":$nspid,\"foreign_namespace\":true}"
  verify_archive "$1" "$a" "$dir" 1 "$host" "$2" "$4" 1
  s=$(ls "$X/var/core/$(ident_dir e2e-segv 0 "$CRASHER")"/*.core.tar.gz 2>/dev/null | head -n 1)
  got=$(tar -xzOf "$s" metadata.json 2>/dev/null | jq -c '{foreign_namespace, same: (.namespace_pid == .pid)}')
  check "$1: a crash in the host's namespaces says foreign_namespace=false, namespace_pid=pid: $got" \
    test "$got" = '{"foreign_namespace":false,"same":true}'
}

# Unprivileged flocks on the log folder and on core_file.conf during two crashes: each capture ends in
# bounded time, and with the admin's maxcore=8 (the defaults' maxcore=1 would keep one archive).
verify_locked() { # ID SIGNAL COUNT FUNCTION FORMAT
  local dir path n slow
  dir=$(ident_dir "$5" 0 "$CRASHER")
  path="$X/var/core/$dir"
  check "$1: uid 65534 held an flock on /var/log and on /etc/core_file.conf during the crashes" \
    test "$(grep -c locked "$X/e2e-results/locks" 2>/dev/null)" = 2
  slow=$(awk -v id="$1" '$1 == id && $3 > 20 { printf "%s ", $3 }' "$X/e2e-results/durations")
  check "$1: every capture under the locks ended within 20 s ($(awk -v id="$1" '$1 == id { printf "%s s ", $3 }' "$X/e2e-results/durations"))" \
    eval "[ -z '$slow' ] && [ '$(awk -v id="$1" '$1 == id' "$X/e2e-results/durations" | wc -l)' = '$3' ] && ! grep -qx '$1' '$X/e2e-results/timeouts' 2>/dev/null"
  check "$1: the admin's settings applied under the locks ($3 archives kept by maxcore=8)" \
    test "$(core_archives "$path" | wc -l)" = "$3"
  for n in $(seq 1 "$3"); do
    local a
    a=$(ls "$path"/"$dir".$n.*.core.tar.gz 2>/dev/null | head -n 1)
    if [ -z "$a" ]; then not_ok "$1#$n: slot $n archive missing"; continue; fi
    verify_archive "$1#$n" "$a" "$dir" "$n" "$(recorded_pid "$1" "$n")" "$2" "$4" 1
  done
}

# busybox tar: in the guest (list + extract, core size against the metadata) and, when the host has
# busybox, over every archive the guest made.
verify_busybox_tar() {
  local r=$X/e2e-results a want size bb bad="" f n=0
  a=$(cat "$r/bbtar.archive" 2>/dev/null)
  if [ -z "$a" ]; then not_ok "busybox tar in the guest: no e2e-segv archive to read"; else
    want=$(meta "$X$a" .core_bytes_expected)
    size=$(awk '$1 ~ /\.core$/ { print $2 }' "$r/bbtar.sizes" 2>/dev/null)
    check "busybox tar in the guest: tar -tzf lists os-release, the core, metadata.json ($(head -c 200 "$r/bbtar.err" 2>/dev/null | xargs))" \
      eval "grep -qx 0 '$r/bbtar.rc' && [ \"\$(sed -E 's/.*\\.core\$/CORE/' '$r/bbtar.list' | xargs)\" = 'os-release CORE metadata.json' ]"
    check "busybox tar in the guest: tar -xzf extracts the core with core_bytes_expected ($want) bytes (got ${size:-none})" \
      eval "grep -qx 0 '$r/bbtar.xrc' && [ -n '$want' ] && [ '$size' = '$want' ]"
  fi
  bb=$(command -v busybox) || { ok "host busybox tar: skipped (no busybox on this host)"; return; }
  while IFS= read -r -d '' f; do
    n=$((n + 1))
    "$bb" tar -tzf "$f" >/dev/null 2>&1 || bad+=" ${f#"$X"/var/core/}"
  done < <(find "$X/var/core" -name '*.tar.gz' -print0)
  check "host busybox tar -tzf reads all $n archives and drop records${bad:+ (refused:$(head -c 300 <<<"$bad"))}" test -z "$bad"
}

verify_archive() { # LABEL ARCHIVE DIR SLOT PID SIGNAL FUNCTION THREADS [EXE] [UID]
  local label=$1 a=$2 safe=$3 slot=$4 pid=$5 sig=$6 fn=$7 threads=$8 exe=${9:-$CRASHER} uid=${10:-0} t core w
  w=$(mktemp -d)
  check "$label: gzip -t and tar list os-release, the core, metadata.json" archive_well_formed "$a"
  t=$(basename "$a" | sed -E "s/^.*\.$slot\.([0-9]+)\.core\.tar\.gz$/\1/")
  check "$label: named $safe.$slot.<time>.core.tar.gz with a .pending marker" \
    archive_named "$a" "$safe" "$slot" "$t"
  tar -xzf "$a" -C "$w" 2>/dev/null
  core="$w/$safe.$slot.$t.core"
  check "$label: core is a complete ELF core (readelf)" elf_core_ok "$core" "$w/metadata.json"
  check "$label: metadata pid=$pid signal=$sig threads=$threads uid=$uid executable_path slot kernel_release" \
    metadata_ok "$w/metadata.json" "$pid" "$sig" "$safe" "$slot" "$threads" "$exe" "$uid"
  check "$label: gdb backtrace of the core names $fn" backtrace_has "$core" "$fn"
  rm -rf "$w"
}

archive_well_formed() {
  gzip -t "$1" 2>/dev/null || return 1
  local members
  members=$(tar -tzf "$1" 2>/dev/null | xargs -d '\n' -n 1 basename | sed -E 's/^.*\.core$/CORE/' | xargs)
  [ "$members" = "os-release CORE metadata.json" ] || { echo "  members: $members"; return 1; }
}

archive_named() { # ARCHIVE SAFE SLOT TIME
  local base
  base=$(basename "$1")
  [ "$base" = "$2.$3.$4.core.tar.gz" ] && [ "$(basename "$(dirname "$1")")" = "$2" ] && [ -e "$1.pending" ] &&
    grep -qxF "$2.$3.$4.core" <<<"$(tar -tzf "$1")"
}

elf_core_ok() { # CORE METADATA
  [ -f "$1" ] || return 1
  [ "$(head -c 4 "$1" | od -An -tx1 | xargs)" = "7f 45 4c 46" ] || { echo "  not ELF"; return 1; }
  [ "$(readelf -h "$1" 2>/dev/null | awk '/Type:/ { print $2 }')" = CORE ] || { echo "  not ET_CORE"; return 1; }
  grep -q NT_PRSTATUS <<<"$(readelf -n "$1" 2>/dev/null)" || { echo "  no NT_PRSTATUS"; return 1; }
  [ "$(stat -c %s "$1")" = "$(jq -r .core_bytes_expected "$2")" ] || { echo "  size differs from core_bytes_expected"; return 1; }
}

metadata_ok() { # METADATA PID SIGNAL DIR SLOT THREADS EXE UID
  local got
  got=$(jq -c --arg exe "$7" --argjson pid "$2" --argjson sig "$3" --argjson slot "$5" \
    --argjson threads "$6" --argjson uid "$8" --arg krel "$GUEST_KERNEL_RELEASE" \
    '{pid, signal, threads, uid, executable_path, safe_name, slot, kernel_release, truncated, is_elf_core}
     | . as $m | ($m.pid == $pid and $m.signal == $sig and $m.threads == $threads and $m.uid == $uid
       and $m.executable_path == $exe and $m.slot == $slot and $m.kernel_release == $krel
       and $m.truncated == false and $m.is_elf_core == true) as $good | {good: $good, m: $m}' "$1" 2>&1)
  [ "$(jq -r .good <<<"$got" 2>/dev/null)" = true ] || { echo "  metadata: $got"; return 1; }
}

backtrace_has() { # CORE FUNCTION
  local bt
  bt=$(gdb -batch -nx -q -ex 'set debuginfod enabled off' -ex bt "$CRASHER" "$1" 2>/dev/null </dev/null)
  grep -qw "$2" <<<"$bt" || { echo "  gdb bt: $(grep '^#' <<<"$bt" | head -n 4 | xargs)"; return 1; }
}

# The opt-in live-system test of install.sh inside the guest (E2E_LIVE_INSTALL=1).
verify_live_install() {
  local l=$X/e2e-results/live want
  [ "${E2E_LIVE_INSTALL:-0}" = 1 ] || return 0
  want=$(sed -n 's/^kernel\.core_pattern=//p' "$ROOT/sysctl.d/50-coredump.conf")
  check "guest live install (destdir /) exits 0" grep -qx 0 "$l/install.rc"
  check "guest live install applied the sysctl.d file" test "$(cat "$l/pattern-installed" 2>/dev/null)" = "$want"
  check "guest live install saved the previous core_pattern" grep -qx 'kernel.core_pattern=core-before-install' "$l/saved"
  check "guest live install created the system user cdm-analysis (no login shell)" \
    eval "grep -q '^cdm-analysis:[^:]*:[0-9]*:[0-9]*:[^:]*:/nonexistent:/.*/\\(nologin\\|false\\)\$' '$l/analysis-user'"
  check "guest live uninstall exits 0" grep -qx 0 "$l/uninstall.rc"
  check "guest live uninstall restored core_pattern, core_pipe_limit and suid_dumpable" \
    eval "[ \"\$(cat '$l/pattern-restored')\" = core-before-install ] && grep -qx 3 '$l/pipe-limit-restored' && grep -qx 1 '$l/suid-dumpable-restored'"
  check "guest live uninstall removed the installed files, kept the edited core_file.conf" \
    eval "[ ! -s '$l/left' ] && grep -qx core_file.conf '$l/etc-after'"
}
