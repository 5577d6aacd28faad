# install --destdir / uninstall --destdir / package checks (sourced by run.sh). Uses: ROOT BIN W.
# Only temporary roots: nothing is installed into / and no kernel setting is touched.

INSTALL="$ROOT/etc/install.sh"

# "path mode" of every file an install must produce (the units and uploader.toml when the repo has them)
expected_files() {
  echo "sbin/cdm 755"
  echo "usr/sbin/cdm-uploader 755"
  echo "etc/core_file.conf 644"
  echo "etc/sysctl.d/50-coredump.conf 644"
  echo "etc/profile.d/coredump.sh 644"
  echo "etc/systemd/system.conf.d/coredump.conf 644"
  [ -f "$ROOT/etc/cdm/uploader.toml" ] && echo "etc/cdm/uploader.toml 640"
  local u
  for u in "$ROOT"/etc/systemd/*.service "$ROOT"/etc/systemd/*.timer "$ROOT"/etc/systemd/*.path; do
    [ -f "$u" ] && echo "lib/systemd/system/${u##*/} 644"
  done
  return 0
}

# A destination that already holds things install must leave alone.
seed_root() { # DIR
  mkdir -p "$1/etc/sysctl.d" "$1/usr/bin" "$1/var/log"
  echo "127.0.0.1 localhost" >"$1/etc/hosts"
  echo "vm.swappiness=10" >"$1/etc/sysctl.d/10-admin.conf"
  chmod 0700 "$1/var/log"
}

files_have_modes() { # ROOT
  local path mode bad=0
  while read -r path mode; do
    if [ ! -f "$1/$path" ]; then echo "  missing /$path"; bad=1
    elif [ "$(stat -c %a "$1/$path")" != "$mode" ]; then echo "  /$path mode $(stat -c %a "$1/$path"), want $mode"; bad=1; fi
  done < <(expected_files)
  return $bad
}

files_match_sources() { # ROOT
  cmp -s "$BIN/cdm" "$1/sbin/cdm" && cmp -s "$BIN/uploader" "$1/usr/sbin/cdm-uploader" &&
    cmp -s "$ROOT/sysctl.d/50-coredump.conf" "$1/etc/sysctl.d/50-coredump.conf" &&
    cmp -s "$ROOT/etc/core_file.conf" "$1/etc/core_file.conf"
}

# Installed file list with modes (for comparing an install with the .deb's contents).
file_modes() { (cd "$1" && find . -type f -printf '%P %m\n' | grep -v '^var/lib/cdm/install-manifest ' | LC_ALL=C sort); }

install_quiet() { bash "$INSTALL" "$@" >/dev/null 2>&1; }

check_install_roundtrip() {
  local d=$W/install/plain
  rm -rf "$d" && mkdir -p "$d" && seed_root "$d"
  snapshot "$d" >"$W/install/before"
  check "install --destdir succeeds" install_quiet install "$BIN" --destdir "$d"
  check "install: every file in place with its mode" files_have_modes "$d"
  check "install: installed files are the built binaries and the repo's files" files_match_sources "$d"
  check "install: manifest written, no kernel-side state (core_pattern.saved) in a destdir" \
    eval "[ -s '$d/var/lib/cdm/install-manifest' ] && [ ! -e '$d/var/lib/cdm/core_pattern.saved' ]"
  check "install: existing files of the destination untouched" \
    eval "grep -qx '127.0.0.1 localhost' '$d/etc/hosts' && [ -f '$d/etc/sysctl.d/10-admin.conf' ]"
  check "install twice (upgrade) succeeds" install_quiet install "$BIN" --destdir "$d"
  check "uninstall --destdir succeeds" install_quiet uninstall "$BIN" --destdir "$d"
  check "uninstall leaves the tree exactly as before install (entries, modes, checksums)" \
    diff -u "$W/install/before" <(snapshot "$d")
}

check_admin_config_kept() {
  local d=$W/install/admin
  rm -rf "$d" && mkdir -p "$d/etc" && echo "maxcore=7 # the admin's" >"$d/etc/core_file.conf"
  snapshot "$d" >"$W/install/before-admin"
  install_quiet install "$BIN" --destdir "$d"
  check "install keeps an existing /etc/core_file.conf and ships core_file.conf.new" \
    eval "grep -q \"the admin's\" '$d/etc/core_file.conf' && cmp -s '$ROOT/etc/core_file.conf' '$d/etc/core_file.conf.new'"
  install_quiet uninstall "$BIN" --destdir "$d"
  check "uninstall keeps the admin's core_file.conf, tree as before" diff -u "$W/install/before-admin" <(snapshot "$d")
  d=$W/install/edited
  rm -rf "$d" && mkdir -p "$d"
  install_quiet install "$BIN" --destdir "$d"
  echo "maxcore=3" >>"$d/etc/core_file.conf"
  install_quiet uninstall "$BIN" --destdir "$d"
  check "uninstall keeps a core_file.conf edited after install, removes the rest" \
    eval "[ \"\$(cd '$d' && find . -type f)\" = ./etc/core_file.conf ] && grep -qx maxcore=3 '$d/etc/core_file.conf'"
}

check_package() {
  local deb x=$W/install/deb clean=$W/install/clean
  rm -rf "$clean" && install_quiet install "$BIN" --destdir "$clean" && file_modes "$clean" >"$W/install/installed-files"
  deb=$(bash "$INSTALL" package "$BIN" --out "$W/install" 2>/dev/null)
  check "package builds a .deb (dpkg-deb --build)" test -f "$deb"
  [ -f "$deb" ] || return 0
  rm -rf "$x" && mkdir -p "$x" && dpkg-deb -x "$deb" "$x"
  check "the .deb unpacked with dpkg-deb -x has the same files and modes as install --destdir" \
    diff -u "$W/install/installed-files" <(file_modes "$x")
  check "the .deb's files are owned by root (--root-owner-group)" \
    eval "! dpkg-deb -c '$deb' | awk '{ print \$2 }' | grep -v '^root/root\$'"
  check "the .deb has postinst (creating cdm-analysis), prerm, postrm (valid bash), lists /etc/core_file.conf as a conffile and declares libssl and gdb" deb_control_ok "$deb"
}

deb_control_ok() { # DEB
  local c=$W/install/deb-control s
  rm -rf "$c" && dpkg-deb -e "$1" "$c" || return 1
  for s in postinst prerm postrm; do [ -x "$c/$s" ] && bash -n "$c/$s" || return 1; done
  grep -qx /etc/core_file.conf "$c/conffiles" && grep -q 'restore_kernel_settings' "$c/postrm" &&
    grep -q 'create_analysis_user' "$c/postinst" &&
    grep -qx 'Depends: libc6 (>= 2.27), libssl3 | libssl3t64' "$c/control" && grep -qx 'Recommends: gdb, libisal2' "$c/control"
}

run_install_checks() {
  mkdir -p "$W/install"
  check_install_roundtrip
  check_admin_config_kept
  check_package
}
