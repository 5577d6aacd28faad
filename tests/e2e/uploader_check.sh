# The uploader on the host turns guest archives into reports (sourced by run.sh). Uses: BIN W X CRASHER.
# It runs over a copy of the guest's corepath; the crasher exists at the same absolute path on the host, so
# the executable_path in the metadata resolves here as it did in the guest.

UPLOAD_CASES="segv:e2e-segv:crash_null_write abort:e2e-abort:crash_abort fpe:e2e-fpe:crash_divide"

write_uploader_config() { # DIR
  cat >"$1/uploader.toml" <<TOML
corepath = "$1/var/core"
outbox = "$1/outbox"
state_dir = "$1/state"
log_file = "$1/up.log"
TOML
}

marker_advanced() { # DAEMON_DIR
  [ -z "$(find "$1" -name '*.pending')" ] && [ -n "$(find "$1" -name '*.processed' -o -name '*.submitted')" ]
}

run_uploader_checks() {
  local u=$W/upload rc entry id name dir fn report
  rm -rf "$u" && mkdir -p "$u/var" && cp -a "$X/var/core" "$u/var/core"
  write_uploader_config "$u"
  "$BIN/uploader" --config "$u/uploader.toml" run >"$u/stdout" 2>"$u/stderr"
  rc=$?
  if [ "$rc" -eq 64 ] && grep -q "not implemented" "$u/stderr"; then
    not_ok "uploader: out/bin/uploader is not implemented yet (exit 64); no reports to check"
    return
  fi
  [ "$rc" -eq 0 ] || head -c 400 "$u/stderr" | sed 's/^/  /'
  check "uploader --config T run over the guest's corepath exits 0" test "$rc" -eq 0
  for entry in $UPLOAD_CASES; do
    IFS=: read -r id name fn <<<"$entry"
    dir=$(ident_dir "$name" 0 "$CRASHER")
    report=$(ls "$u/var/core/$dir"/*.core.tar.gz.report 2>/dev/null | head -n 1)
    check "uploader: $id archive has a .report whose backtrace (#N frames) names $fn" \
      eval "[ -n '$report' ] && grep -qE '^#[0-9]+ .*\\b$fn\\b' '$report'"
    check "uploader: $id archive's marker left .pending (now .processed or .submitted)" marker_advanced "$u/var/core/$dir"
  done
}
