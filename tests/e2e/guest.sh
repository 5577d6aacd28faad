# Host side of the guest (sourced by run.sh): fetch Debian's cloud kernel (never installed on the host),
# build an initramfs from the project's own `install --destdir` output, boot it under qemu, unpack results.
# Uses: ROOT BIN W (work dir) CACHE (kernel cache) CRASHER (absolute path, same in the guest).

SYSTEM_DAEMON=/usr/sbin/e2e-sshd     # the crasher as a root daemon of the system (spoof case)
EXCLUDED_EXE=/opt/e2e-excluded/crasher # the crasher where exclude=exe:/opt/e2e-excluded/* matches it

VIRTIO_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk"

# Prints the directory of an unpacked linux-image-*-cloud-amd64 (downloads it once into CACHE).
fetch_kernel() {
  local pkg deb dir
  dir=$(ls -d "$CACHE"/linux-image-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -f "$dir/.unpacked" ]; then echo "$dir"; return; fi
  pkg=$(cloud_kernel_package) || return 1
  mkdir -p "$CACHE"
  if ! download_package "$pkg"; then # stale apt lists name a version the archive no longer has
    apt_update
    pkg=$(cloud_kernel_package) || return 1
    download_package "$pkg" || { echo "apt-get download $pkg failed" >&2; return 1; }
  fi
  deb=$(ls "$CACHE/${pkg}"_*.deb | tail -n 1)
  rm -rf "${CACHE:?}/$pkg"
  dpkg-deb -x "$deb" "$CACHE/$pkg" && touch "$CACHE/$pkg/.unpacked" && rm -f "$deb"
  echo "$CACHE/$pkg"
}

download_package() { (cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null 2>&1); }

# The real package behind the metapackage linux-image-cloud-amd64 (apt lists are refreshed if empty).
cloud_kernel_package() {
  local pkg
  pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-.*-cloud-amd64\)$/\1/p' | head -n 1)
  if [ -z "$pkg" ]; then
    apt_update
    pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-.*-cloud-amd64\)$/\1/p' | head -n 1)
  fi
  [ -n "$pkg" ] || { echo "cannot resolve linux-image-cloud-amd64" >&2; return 1; }
  echo "$pkg"
}

# Copies a binary's shared libraries (as ldd lists them) and the loader into the guest root G.
copy_libs() { # G BINARY...
  local g=$1 lib
  shift
  for lib in $(ldd "$@" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
    [ -e "$g$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$g$lib"
  done
}

build_guest_root() { # G KERNEL_DIR
  local g=$1 k=$2 m f
  rm -rf "$g" && mkdir -p "$g"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,var/log,lib/modules,e2e}
  bash "$ROOT/etc/install.sh" install "$BIN" --destdir "$g" >/dev/null 2>&1 || return 1
  cp /bin/busybox "$g/bin/busybox"
  install -D -m 0755 "$CRASHER" "$g$CRASHER"
  # the same program as a system daemon (its name is its basename) and under an excluded directory
  install -D -m 0755 "$CRASHER" "$g$SYSTEM_DAEMON"
  install -D -m 0755 "$CRASHER" "$g$EXCLUDED_EXE"
  copy_libs "$g" "$BIN/cdm" "$CRASHER"
  copy_runtime_libs "$g"
  for m in $VIRTIO_MODULES; do
    f=$(find "$k/lib/modules" -name "$m.ko" | head -n 1)
    [ -n "$f" ] && cp "$f" "$g/lib/modules/"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$g/etc/passwd"
  echo 'root:x:0:' >"$g/etc/group"
  cp /etc/os-release "$g/etc/os-release"
  install -m 0755 "$ROOT/tests/e2e/guest-init.sh" "$g/init"
  cp "$ROOT/tests/e2e/cases.txt" "$g/e2e/cases.txt"
  echo "$CRASHER" >"$g/e2e/crasher-path"
  if [ "${E2E_LIVE_INSTALL:-0}" = 1 ]; then add_live_install_test "$g"; fi
}

# Libraries loaded with dlopen (ldd does not list them) are in the guest only when the package declares
# them, as on a minimal system with the .deb installed: OpenSSL (.NET's SHA-256) if the control file's
# Depends names libssl. E2E_EXTRA_LIBS (paths) adds others, for diagnosis only.
copy_runtime_libs() { # G
  local g=$1 lib extra=${E2E_EXTRA_LIBS:-}
  if grep -q '^Depends:.*libssl' "$ROOT/etc/install.sh"; then
    extra+=" $(ldconfig -p | awk '$1 ~ /^lib(ssl|crypto)\.so\.3$/ { print $NF }' | sort -u | xargs)"
  fi
  for lib in $extra; do
    [ -e "$g$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$g$lib"
    copy_libs "$g" "$lib"
  done
}

# bash and the installer's inputs, for the guest's opt-in test of install.sh on a live system (/).
add_live_install_test() { # G
  local g=$1
  install -m 0755 /bin/bash "$g/e2e/bash"
  copy_libs "$g" /bin/bash
  mkdir -p "$g/e2e/repo"
  (cd "$ROOT" && cp -r --parents etc sysctl.d Directory.Build.props "$g/e2e/repo/")
  touch "$g/e2e/live-install"
}

pack_initramfs() { # G OUT.gz
  (cd "$1" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$2"
}

# Software emulation (TCG) unless E2E_ACCEL=kvm: on the project's CI machines /dev/kvm exists but qemu
# aborts with -cpu max under it (MSR 0x10a), so KVM is opt-in, with a fallback to TCG if it fails.
boot_guest() { # KERNEL_DIR INITRD DISK SERIAL_LOG
  local accel=${E2E_ACCEL:-tcg}
  if [ "$accel" = kvm ] && ! qemu_run kvm "$@"; then
    echo "qemu with kvm failed; booting again with tcg" >&2
    accel=tcg
  fi
  [ "$accel" = tcg ] && qemu_run tcg "$@"
  [ -s "$3" ]
}

qemu_run() { # ACCEL KERNEL_DIR INITRD DISK SERIAL_LOG
  local vmlinuz
  vmlinuz=$(ls "$2"/boot/vmlinuz-* | head -n 1)
  rm -f "$4" "$5" && truncate -s 512M "$4"
  timeout "${E2E_QEMU_TIMEOUT:-600}" qemu-system-x86_64 -nodefaults -smp 1 -cpu max -accel "$1" -m 1024 \
    -display none -serial "file:$5" -no-reboot \
    -kernel "$vmlinuz" -initrd "$3" -append "console=ttyS0 quiet panic=-1 rdinit=/init" \
    -drive "file=$4,format=raw,if=virtio"
}

unpack_results() { # DISK DIR
  rm -rf "$2" && mkdir -p "$2" && tar -xf "$1" -C "$2"
}
