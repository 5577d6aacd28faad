#!/usr/bin/env bash
# CoreDump's installer (docs/install.md). Called by build.sh:
#   install.sh install   BIN_DIR [--destdir DIR]   copy the files into DIR (default /)
#   install.sh uninstall BIN_DIR [--destdir DIR]   remove exactly what install added
#   install.sh package   BIN_DIR [--out DIR]       build a .deb (default DIR: out/ beside BIN_DIR)
# Only when DIR is / are kernel settings applied (and the previous ones saved) and systemd touched.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SYSCTL_FILE=50-coredump.conf
MANIFEST=var/lib/cdm/install-manifest  # relative to the destination root
SAVED=/var/lib/cdm/core_pattern.saved   # live systems only
TIMER=cdm-uploader.timer
PATH_UNIT=cdm-uploader.path # starts a pass when cdm stores a crash

die() { echo "install.sh: $*" >&2; exit 1; }
note() { echo "install.sh: $*" >&2; }

# --- what is installed: "source|destination|mode", sources relative to the repo (bin: = BIN_DIR) ----------
file_list() {
  echo "bin:cdm|sbin/cdm|0755"
  echo "bin:uploader|usr/sbin/cdm-uploader|0755"
  echo "etc/core_file.conf|etc/core_file.conf|0644"
  echo "sysctl.d/$SYSCTL_FILE|etc/sysctl.d/$SYSCTL_FILE|0644"
  echo "etc/profile.d/coredump.sh|etc/profile.d/coredump.sh|0644"
  echo "etc/systemd/system.conf.d/coredump.conf|etc/systemd/system.conf.d/coredump.conf|0644"
  [ -f "$ROOT/etc/cdm/uploader.toml" ] && echo "etc/cdm/uploader.toml|etc/cdm/uploader.toml|0640"
  local unit
  for unit in "$ROOT"/etc/systemd/*.service "$ROOT"/etc/systemd/*.timer "$ROOT"/etc/systemd/*.path; do
    [ -f "$unit" ] && echo "etc/systemd/${unit##*/}|lib/systemd/system/${unit##*/}|0644"
  done
  return 0
}

# Files an administrator may edit: never overwritten, removed on uninstall only while unchanged.
is_config() { case "$1" in etc/core_file.conf | etc/cdm/uploader.toml) return 0 ;; esac; return 1; }

source_path() { case "$1" in bin:*) echo "$BIN/${1#bin:}" ;; *) echo "$ROOT/$1" ;; esac; }
sum() { sha256sum "$1" | cut -d' ' -f1; }

# --- the manifest: "d PATH" for directories install created, "f SHA256 PATH" for files it wrote ------------
manifest_has_file() { [ -f "$DEST/$MANIFEST" ] && grep -q "^f [0-9a-f]* $1\$" "$DEST/$MANIFEST"; }
manifest_sum() { grep "^f [0-9a-f]* $1\$" "$DEST/$MANIFEST" | cut -d' ' -f2; }

# Creates DIR's missing components one by one, remembering each in NEW_DIRS.
make_dirs() {
  local rel=$1 path="" part
  local IFS=/
  for part in $rel; do
    path=${path:+$path/}$part
    if [ ! -d "$DEST/$path" ]; then
      mkdir -m 0755 "$DEST/$path"
      NEW_DIRS+=("$path")
    fi
  done
}

install_one() { # SRC DST MODE: copies, records in NEW_FILES; keeps an administrator's edited config
  local src dst=$2 mode=$3 target
  src=$(source_path "$1")
  [ -f "$src" ] || die "missing $src (run ./build.sh build first)"
  target=$dst
  if is_config "$dst" && [ -e "$DEST/$dst" ] && ! config_is_ours "$dst"; then
    target=$dst.new
    note "keeping the administrator's /$dst; the shipped one is /$target"
  fi
  make_dirs "$(dirname "$target")"
  copy_file "$src" "$DEST/$target" "$mode"
  NEW_FILES+=("$(sum "$DEST/$target") $target")
}

# cp + chmod + rename: the running /sbin/cdm is replaced atomically, never written in place (ETXTBSY)
copy_file() { # SRC DST MODE
  rm -f "$2.cdm-tmp"
  cp "$1" "$2.cdm-tmp" && chmod "$3" "$2.cdm-tmp" && mv -f "$2.cdm-tmp" "$2"
}

# A config file is ours to replace when an earlier install wrote it and nobody changed it since.
config_is_ours() { manifest_has_file "$1" && [ "$(sum "$DEST/$1")" = "$(manifest_sum "$1")" ]; }

write_manifest() {
  local old=() line
  if [ -f "$DEST/$MANIFEST" ]; then # a reinstall keeps the directories the first install created
    while read -r line; do old+=("$line"); done <<<"$(grep '^d ' "$DEST/$MANIFEST")"
  fi
  make_dirs "$(dirname "$MANIFEST")"
  {
    printf '%s\n' "${old[@]}"
    for line in "${NEW_DIRS[@]}"; do echo "d $line"; done
    for line in "${NEW_FILES[@]}"; do echo "f $line"; done
  } | grep -v '^$' | awk '!seen[$0]++' >"$DEST/$MANIFEST.tmp"
  mv -f "$DEST/$MANIFEST.tmp" "$DEST/$MANIFEST"
}

do_install() {
  NEW_DIRS=() NEW_FILES=()
  while IFS='|' read -r src dst mode; do install_one "$src" "$dst" "$mode"; done <<<"$(file_list)"
  write_manifest
  note "installed into $DEST (manifest /$MANIFEST)"
  if [ "$DEST" = / ]; then live_apply; fi
}

do_uninstall() {
  [ -f "$DEST/$MANIFEST" ] || die "nothing to uninstall: /$MANIFEST not found under $DEST"
  if [ "$DEST" = / ]; then live_stop; fi
  local manifest kind a b dir
  manifest=$(cat "$DEST/$MANIFEST")
  while read -r kind a b; do
    [ "$kind" = f ] && [ -e "$DEST/$b" ] || continue
    if [ "$(sum "$DEST/$b")" = "$a" ]; then rm -f "$DEST/$b"
    else note "keeping /$b: changed since install"; fi
  done <<<"$manifest"
  rm -f "$DEST/$MANIFEST"
  if [ "$DEST" = / ]; then live_restore; fi
  # the directories install created, deepest first, when empty (a kept file keeps its directory)
  while read -r dir; do
    [ -n "$dir" ] && rmdir "$DEST/$dir" 2>/dev/null || true
  done <<<"$(sed -n 's/^d //p' <<<"$manifest" | sort -r)"
  note "uninstalled from $DEST"
}

# --- live system (DEST = /) only; never reached by tests -------------------------------------------------
# Saves the current values of the keys our sysctl.d file sets (kernel.* and fs.*), so uninstall can put them
# back. A key already saved keeps its first value (a reinstall must not save our own); a key that an earlier
# version did not set is added with its value now, which is still the one from before CoreDump.
save_kernel_settings() {
  local saved=$1 conf=$2 key
  mkdir -p "$(dirname "$saved")"
  touch "$saved"
  grep -E '^[[:space:]]*(kernel|fs)\.[a-z_]+[[:space:]]*=' "$conf" | sed -E 's/[[:space:]]*=.*//; s/^[[:space:]]*//' |
    while read -r key; do
      grep -q "^$key=" "$saved" || printf '%s=%s\n' "$key" "$(cat "/proc/sys/$(echo "$key" | tr . /)")"
    done >"$saved.tmp"
  cat "$saved.tmp" >>"$saved"
  rm -f "$saved.tmp"
}

# The unprivileged account the uploader's gdb sandbox runs as: a system user without home or login shell.
# Kept on uninstall and purge (like other Debian system users): files it may have owned keep a stable owner.
create_analysis_user() {
  local user=cdm-analysis nologin
  getent passwd "$user" >/dev/null 2>&1 || grep -q "^$user:" /etc/passwd 2>/dev/null && return 0
  for nologin in /usr/sbin/nologin /sbin/nologin /bin/false; do [ -x "$nologin" ] && break; done
  if command -v useradd >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell "$nologin" "$user" && return 0
  elif command -v adduser >/dev/null && adduser 2>&1 | grep -q -- '-S'; then # busybox
    adduser -S -D -H -h /nonexistent -s "$nologin" "$user" && return 0
  elif [ -w /etc/passwd ] && [ ! -e /etc/shadow ]; then # a minimal root without account tools
    local id=999
    while cut -d: -f3 /etc/passwd /etc/group 2>/dev/null | grep -qx "$id"; do id=$((id - 1)); done
    if [ "$id" -ge 100 ]; then
      echo "$user:x:$id:" >>/etc/group
      echo "$user:*:$id:$id:CoreDump analysis:/nonexistent:$nologin" >>/etc/passwd # '*': no password, no login
      return 0
    fi
  fi
  echo "could not create the system user $user; the uploader's gdb sandbox needs it" >&2
}

apply_kernel_settings() {
  local conf=$1
  if command -v sysctl >/dev/null; then sysctl -q -p "$conf"; return; fi
  local key value
  grep -E '^[[:space:]]*(kernel|fs)\.' "$conf" | while IFS='=' read -r key value; do
    printf '%s\n' "$value" >"/proc/sys/$(echo "$key" | tr -d ' ' | tr . /)"
  done
}

restore_kernel_settings() {
  local saved=$1 key value
  [ -f "$saved" ] || { echo "no saved kernel settings ($saved); core_pattern left as it is" >&2; return 0; }
  while IFS='=' read -r key value; do
    printf '%s\n' "$value" >"/proc/sys/$(echo "$key" | tr . /)" || echo "could not restore $key" >&2
  done <"$saved"
  rm -f "$saved"
}

systemd_running() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

live_apply() {
  create_analysis_user
  save_kernel_settings "$SAVED" "/etc/sysctl.d/$SYSCTL_FILE"
  apply_kernel_settings "/etc/sysctl.d/$SYSCTL_FILE"
  note "core_pattern is now: $(cat /proc/sys/kernel/core_pattern) (previous settings in $SAVED)"
  if systemd_running; then
    systemctl daemon-reload
    if [ -f "/lib/systemd/system/$TIMER" ]; then systemctl enable --now "$TIMER"; fi
    if [ -f "/lib/systemd/system/$PATH_UNIT" ]; then systemctl enable --now "$PATH_UNIT"; fi
    note "systemd's DefaultLimitCORE applies after 'systemctl daemon-reexec' or a reboot"
  fi
}

live_stop() {
  if systemd_running && [ -f "/lib/systemd/system/$TIMER" ]; then systemctl disable --now "$TIMER" || true; fi
  if systemd_running && [ -f "/lib/systemd/system/$PATH_UNIT" ]; then systemctl disable --now "$PATH_UNIT" || true; fi
}

live_restore() {
  restore_kernel_settings "$SAVED"
  if systemd_running; then systemctl daemon-reload; fi
}

# --- .deb -------------------------------------------------------------------------------------------------
version() { sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$ROOT/Directory.Build.props" | head -n 1; }

# A maintainer script: bash (Essential in Debian) with the kernel functions above copied in.
maintainer_script() { # BODY
  echo '#!/bin/bash'
  echo 'set -e'
  echo "SAVED=$SAVED CONF=/etc/sysctl.d/$SYSCTL_FILE TIMER=$TIMER PATH_UNIT=$PATH_UNIT"
  declare -f save_kernel_settings apply_kernel_settings restore_kernel_settings systemd_running create_analysis_user
  echo 'in_chroot() { [ "$(stat -c %d:%i /)" != "$(stat -c %d:%i /proc/1/root/. 2>/dev/null)" ]; }'
  echo 'live() { [ -r /proc/sys/kernel/core_pattern ] && ! in_chroot; }'
  echo "$1"
}

POSTINST='case "$1" in configure)
  create_analysis_user
  if live; then save_kernel_settings "$SAVED" "$CONF"; apply_kernel_settings "$CONF"; fi
  if systemd_running && ! in_chroot; then systemctl daemon-reload; systemctl enable --now "$TIMER" "$PATH_UNIT" 2>/dev/null || true; fi ;;
esac'
PRERM='case "$1" in remove|deconfigure)
  if systemd_running && ! in_chroot; then systemctl disable --now "$TIMER" "$PATH_UNIT" 2>/dev/null || true; fi ;;
esac'
POSTRM='case "$1" in remove|purge)
  if live; then restore_kernel_settings "$SAVED"; fi
  rmdir /var/lib/cdm 2>/dev/null || true
  if systemd_running && ! in_chroot; then systemctl daemon-reload || true; fi ;;
esac'

do_package() {
  local out=$1 stage arch ver deb src dst mode
  command -v dpkg-deb >/dev/null || die "dpkg-deb is required"
  arch=$(dpkg --print-architecture) ver=$(version)
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' RETURN
  chmod 0755 "$stage"
  mkdir -p "$stage/DEBIAN"
  while IFS='|' read -r src dst mode; do
    install -D -m "$mode" "$(source_path "$src")" "$stage/$dst"
    if is_config "$dst" || [[ $dst == etc/* ]]; then echo "/$dst" >>"$stage/DEBIAN/conffiles"; fi
  done <<<"$(file_list)"
  cat >"$stage/DEBIAN/control" <<EOF
Package: coredump
Version: $ver
Architecture: $arch
Maintainer: CoreDump maintainers <coredump@localhost>
Section: admin
Priority: optional
Depends: libc6 (>= 2.27), libssl3 | libssl3t64
Recommends: gdb, libisal2
Installed-Size: $(du -sk "$stage" | cut -f1)
Description: crash capture: a core_pattern pipe handler (cdm) and its uploader
 cdm receives every core from the kernel and stores it as a gzip tar archive
 with metadata under /var/core; cdm-uploader turns archives into reports.
EOF
  maintainer_script "$POSTINST" >"$stage/DEBIAN/postinst"
  maintainer_script "$PRERM" >"$stage/DEBIAN/prerm"
  maintainer_script "$POSTRM" >"$stage/DEBIAN/postrm"
  chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"
  mkdir -p "$out"
  deb="$out/coredump_${ver}_${arch}.deb"
  dpkg-deb --build --root-owner-group -Zgzip "$stage" "$deb" >/dev/null
  echo "$deb"
}

# cdm loads ISA-L (Debian: libisal2) at run time and compresses with zlib without it: say so on a live install.
isal_note() {
  [ "$DEST" = / ] || return 0
  { ldconfig -p 2>/dev/null || true; } | grep -q 'libisal\.so\.2 ' ||
    echo "note: libisal2 is not installed: cdm works, but compresses with zlib at more CPU per core (apt-get install libisal2)" >&2
}

# --- arguments --------------------------------------------------------------------------------------------
verb=${1:-} BIN=${2:-}
[ -n "$verb" ] && [ -n "$BIN" ] || die "usage: install.sh install|uninstall|package BIN_DIR [--destdir DIR] [--out DIR]"
if [ -d "$BIN" ]; then BIN=$(cd "$BIN" && pwd)
elif [ "$verb" != uninstall ]; then die "no such BIN_DIR: $BIN (run ./build.sh build first)"; fi
shift 2
DEST=/ OUT=$(dirname "$BIN")
while [ $# -gt 0 ]; do
  case "$1" in
    --destdir) DEST=${2:?--destdir needs a directory}; shift 2 ;;
    --destdir=*) DEST=${1#*=}; shift ;;
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ "$verb" != install ] || mkdir -p "$DEST"
DEST=$(cd "$DEST" 2>/dev/null && pwd -P) || die "no such destination: $DEST"
case "$verb" in
  install) do_install; isal_note ;;
  uninstall) do_uninstall ;;
  package) do_package "$OUT" ;;
  *) die "unknown verb: $verb" ;;
esac
