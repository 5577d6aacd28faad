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
  check "guest: every capture finished within its timeout" test ! -s "$X/e2e-results/timeouts"
  check "guest: no capture temporaries (.*.tmp) left under var/core" \
    test -z "$(find "$X/var/core" -name '.*.tmp' 2>/dev/null)"
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
  while read -r -u 3 id mode sig count fn fmt; do
    [ -n "$id" ] && [ "${id#\#}" = "$id" ] || continue
    verify_case "$id" "$mode" "$sig" "$count" "$fn" "$fmt" </dev/null
  done 3<"$ROOT/tests/e2e/cases.txt"
}

verify_case() { # ID MODE SIGNAL COUNT FUNCTION FORMAT
  local id=$1 mode=$2 sig=$3 count=$4 fn=$5 safe dir slot pid archives want_n pids_seen=""
  safe=$(safe_name "$6")
  dir="$X/var/core/$safe"
  want_n=$(expected_slots "$id" "$mode" "$count" | wc -l)
  archives=$(ls "$dir" 2>/dev/null | grep -c '\.core\.tar\.gz$')
  check "$id: $want_n archive(s) in var/core/$safe" test "$archives" = "$want_n"
  while read -r -u 3 slot pid; do
    local a
    a=$(ls "$dir"/"$safe.$slot".*.core.tar.gz 2>/dev/null | head -n 1)
    if [ -z "$a" ]; then not_ok "$id: slot $slot archive missing"; continue; fi
    if [ "$pid" = "?" ]; then pid=$(jq -r .pid < <(tar -xzOf "$a" metadata.json 2>/dev/null)); pids_seen="$pids_seen $pid"; fi
    verify_archive "$id#$slot" "$a" "$safe" "$slot" "$pid" "$sig" "$fn" "$([ "$mode" = threads ] && echo 4 || echo 1)"
  done 3< <(expected_slots "$id" "$mode" "$count")
  if [ "$mode" = kill ]; then
    check "$id: the $count archives hold the $count crashed pids" \
      test "$(echo $pids_seen | tr ' ' '\n' | sort -n | xargs)" = "$(awk -v id="$id" '$1 == id { print $3 }' "$X/e2e-results/pids" | sort -n | xargs)"
  fi
}

verify_archive() { # LABEL ARCHIVE SAFE SLOT PID SIGNAL FUNCTION THREADS
  local label=$1 a=$2 safe=$3 slot=$4 pid=$5 sig=$6 fn=$7 threads=$8 t core w
  w=$(mktemp -d)
  check "$label: gzip -t and tar list os-release, the core, metadata.json" archive_well_formed "$a"
  t=$(basename "$a" | sed -E "s/^.*\.$slot\.([0-9]+)\.core\.tar\.gz$/\1/")
  check "$label: named $safe.$slot.<time>.core.tar.gz with a .pending marker" \
    archive_named "$a" "$safe" "$slot" "$t"
  tar -xzf "$a" -C "$w" 2>/dev/null
  core="$w/$safe.$slot.$t.core"
  check "$label: core is a complete ELF core (readelf)" elf_core_ok "$core" "$w/metadata.json"
  check "$label: metadata pid=$pid signal=$sig threads=$threads executable_path safe_name slot kernel_release" \
    metadata_ok "$w/metadata.json" "$pid" "$sig" "$safe" "$slot" "$threads"
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

metadata_ok() { # METADATA PID SIGNAL SAFE SLOT THREADS
  local got
  got=$(jq -c --arg exe "$CRASHER" --arg safe "$4" --argjson pid "$2" --argjson sig "$3" --argjson slot "$5" \
    --argjson threads "$6" --arg krel "$GUEST_KERNEL_RELEASE" \
    '{pid, signal, threads, executable_path, safe_name, slot, kernel_release, truncated, is_elf_core}
     | . as $m | ($m.pid == $pid and $m.signal == $sig and $m.threads == $threads and $m.executable_path == $exe
       and $m.safe_name == $safe and $m.slot == $slot and $m.kernel_release == $krel and $m.truncated == false
       and $m.is_elf_core == true) as $good | {good: $good, m: $m}' "$1" 2>&1)
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
