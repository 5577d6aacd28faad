# Shared helpers of the e2e stage (sourced by run.sh): result lines, host packages, names, tree snapshots.

PASSED=0 FAILED=0

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
check() { # DESCRIPTION COMMAND...: one result line from a command's exit status
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}

apt_update() {
  local try
  for try in 1 2 3 4 5; do # another apt may hold the lock for a while
    apt-get update -qq >/dev/null 2>&1 && return 0
    sleep 10
  done
  apt-get update
}

# Installs what the stage needs on a fresh Debian machine; only missing tools trigger apt-get.
host_packages() {
  local need=()
  command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
  dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
  command -v cpio >/dev/null || need+=(cpio)
  command -v dpkg-deb >/dev/null || need+=(dpkg)
  command -v jq >/dev/null || need+=(jq)
  command -v gdb >/dev/null || need+=(gdb)
  command -v cc >/dev/null || need+=(gcc libc6-dev)
  command -v readelf >/dev/null || need+=(binutils)
  command -v timeout >/dev/null || need+=(coreutils)
  [ ${#need[@]} -eq 0 ] && return 0
  echo "==> apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt_update
  apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${need[@]}" >/dev/null
}

# The raw process name of a case's name: the first 15 bytes (TASK_COMM_LEN - 1) of what the program set
# with prctl(PR_SET_NAME). cdm names by the core's NT_PRPSINFO pr_fname, which holds these bytes as they
# are (the kernel's %e would have "/" as "!" and "." / ".." with a leading "!").
comm_bytes() {
  local raw
  raw=$(printf '%b' "$1" | head -c 15; echo x)
  printf '%s' "${raw%x}"
}

# The directory name cdm must choose for a raw name (docs/archive-layout.md): A-Z a-z 0-9 _ - + stay,
# "." stays except first, every other byte becomes %XX; empty becomes %unknown. (%e is at most 15 bytes,
# so the 64-character cut cannot happen here.)
safe_name() { # PRINTF_FORMAT
  local b c out="" i=0
  for b in $(comm_bytes "$1" | od -An -v -tx1); do
    c=$((16#$b))
    if ((c >= 48 && c <= 57 || c >= 65 && c <= 90 || c >= 97 && c <= 122 || c == 95 || c == 45 || c == 43 || (c == 46 && i > 0))); then
      out+=$(printf "\\x$b")
    else
      out+="%${b^^}"
    fi
    i=$((i + 1))
  done
  echo "${out:-%unknown}"
}

# The daemon directory of a crash (docs/archive-layout.md, identity): safe name, "@<uid>" unless root,
# "~<first 8 hex of SHA-256 of the executable path>" unless the executable is a system program whose
# basename (first 15 bytes) is the process name. Crashes from another namespace are matched separately.
ident_dir() { # PRINTF_FORMAT UID EXE
  local d
  d=$(safe_name "$1")
  [ "$2" = 0 ] || d+="@$2"
  system_program "$3" "$(comm_bytes "$1")" || d+="~$(exe_hash "$3")"
  echo "$d"
}

exe_hash() { printf '%s' "$1" | sha256sum | cut -c1-8; }

system_program() { # EXE RAW_NAME
  case "$1" in
    /usr/bin/* | /usr/sbin/* | /bin/* | /sbin/* | /usr/lib*/* | /usr/libexec/* | /lib*/* | /usr/local/bin/* | /usr/local/sbin/*) ;;
    *) return 1 ;;
  esac
  [ "$(basename "$1" | head -c 15)" = "$2" ]
}

# Every entry of a tree with type, mode, owner, size and, for files, content checksum.
snapshot() { # DIR
  (cd "$1" && find . -printf '%p %y %m %u:%g %s\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2)
}
