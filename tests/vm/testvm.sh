#!/usr/bin/env bash
# testvm.sh - throwaway Debian 12 guest under qemu for IsulaKata's real-kernel
# integration tests (device-mapper, LVM thin pools, kernel modules).
#
#   testvm.sh check               exit 0 if qemu can run here, else print
#                                 "SKIPPED: <reason>" and exit 3
#   testvm.sh build [--force]     build the cached guest, or reuse it
#   testvm.sh run [options] -- CMD [ARG...]
#                                 boot the guest, run CMD as root, exit with its code
#       --disks N                 N blank sparse disks: /dev/vdb, /dev/vdc, ... (default 0)
#       --disk-size SIZE          size of each blank disk (default 4G)
#       --share TAG=HOSTPATH[:ro] 9p share, mounted at HOSTPATH in the guest too
#       --env NAME=VALUE          environment variable for CMD
#       --timeout SECONDS         kill the guest after this long (default 900)
#       --memory MIB, --cpus N    guest size (default 3584, 2)
#       -v, --verbose             guest console (kernel, init) to stderr
#   testvm.sh clean [--all]       drop cached guests of other recipes (or everything)
#
# CMD's stdout+stderr go to stdout, harness messages to stderr. Exit codes of
# run: CMD's own, 124 on timeout, 125 when the harness or guest failed.
# Cache: $ISULAKATA_VM_CACHE (default /var/cache/isulakata-testvm).
# See tests/vm/README.md.
set -euo pipefail
shopt -s inherit_errexit

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
GUEST_INIT="$SCRIPT_DIR/guest-init.sh"

CACHE_ROOT=${ISULAKATA_VM_CACHE:-/var/cache/isulakata-testvm}

# ---------------------------------------------------------------------------
# Build recipe. Everything that shapes the cached guest lives in the
# variables below and in the build_* functions: their text (as bash prints it
# back, so comments do not count) is hashed into the cache key.
# ---------------------------------------------------------------------------
BUILD_RECIPE_REV=1
GUEST_SUITE=bookworm
GUEST_ARCH=amd64
GUEST_PACKAGES=(
	# storage and kernel-module tooling under test
	lvm2 dmeventd thin-provisioning-tools kmod udev linux-image-amd64
	e2fsprogs util-linux procps
	# .NET / pwsh runtime needs
	libicu72 libssl3 ca-certificates zlib1g libgcc-s1 libstdc++6 tzdata
	# initrd and guest utilities
	busybox-static
)
# Modules the initrd loads to reach the root disk and the 9p shares; their
# dependencies are resolved from modules.dep at build time.
INITRD_MODULES=(virtio_pci virtio_blk crc32c_generic ext4 9pnet_virtio 9p)

# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------
log() { printf 'testvm: %s\n' "$*" >&2; }
die() {
	printf 'testvm: ERROR: %s\n' "$*" >&2
	exit 125
}

now_us() { printf '%s' "${EPOCHREALTIME/./}"; }
# fmt_secs START_US [END_US] -> "12.3s"
fmt_secs() {
	local start=$1 end=${2:-$(now_us)}
	local d=$((end - start))
	printf '%d.%01ds' $((d / 1000000)) $((d % 1000000 / 100000))
}

# qemu option values use ',' as separator; a literal comma is written ',,'.
qemu_esc() { printf '%s' "${1//,/,,}"; }

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
}

# ---------------------------------------------------------------------------
# host tools
# ---------------------------------------------------------------------------
QEMU=${ISULAKATA_VM_QEMU:-qemu-system-x86_64}

# ensure_host_tools CMD... : install the Debian packages providing missing
# commands (root + apt-get only; ISULAKATA_VM_NO_INSTALL=1 disables).
ensure_host_tools() {
	local cmd missing=() pkgs=()
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 && continue
		missing+=("$cmd")
		case $cmd in
		qemu-system-x86_64) pkgs+=(qemu-system-x86) ;;
		debootstrap) pkgs+=(debootstrap) ;;
		mkfs.ext4) pkgs+=(e2fsprogs) ;;
		cpio) pkgs+=(cpio) ;;
		xz) pkgs+=(xz-utils) ;;
		zstd) pkgs+=(zstd) ;;
		gzip) pkgs+=(gzip) ;;
		flock) pkgs+=(util-linux) ;;
		*) pkgs+=("$cmd") ;;
		esac
	done
	((${#missing[@]} == 0)) && return 0
	if [[ ${ISULAKATA_VM_NO_INSTALL:-0} == 1 || $EUID -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
		log "missing host tools: ${missing[*]} (packages: ${pkgs[*]})"
		return 1
	fi
	log "installing host packages: ${pkgs[*]}"
	local apt_log
	apt_log=$(mktemp)
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" >"$apt_log" 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get update >>"$apt_log" 2>&1 || true
		if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" >>"$apt_log" 2>&1; then
			tail -n 20 "$apt_log" >&2
			rm -f "$apt_log"
			log "could not install: ${pkgs[*]}"
			return 1
		fi
	fi
	rm -f "$apt_log"
	for cmd in "${missing[@]}"; do
		command -v "$cmd" >/dev/null 2>&1 || {
			log "still missing after install: $cmd"
			return 1
		}
	done
}

# Accelerator: KVM only when a real kvm_intel/kvm_amd module is loaded (the
# /dev/kvm of some hosts is a paravirtual one that cannot run a stock kernel),
# otherwise multi-threaded TCG. ISULAKATA_VM_ACCEL=kvm|tcg overrides.
qemu_accel_args() {
	local accel=${ISULAKATA_VM_ACCEL:-}
	if [[ -z $accel ]]; then
		accel=tcg
		if [[ -r /proc/modules && -w /dev/kvm ]] && grep -Eq '^kvm_(intel|amd) ' /proc/modules; then
			accel=kvm
		fi
	fi
	case $accel in
	kvm) printf '%s\n' -accel kvm -cpu host ;;
	tcg) printf '%s\n' -accel tcg,thread=multi -cpu max ;;
	*) die "ISULAKATA_VM_ACCEL must be kvm or tcg, not '$accel'" ;;
	esac
}

# ---------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------
skip() {
	printf 'SKIPPED: %s\n' "$*"
	exit 3
}

cmd_check() {
	[[ $(uname -m) == x86_64 ]] || skip "testvm needs an x86_64 host (the guest shares the host's .NET), this is $(uname -m)"
	ensure_host_tools "$QEMU" || skip "$QEMU is not installed and cannot be installed here"
	local accel_args out
	out=$(qemu_accel_args)
	mapfile -t accel_args <<<"$out"
	if ! out=$(printf 'quit\n' | timeout 60 "$QEMU" -machine pc "${accel_args[@]}" -m 64 -S \
		-nodefaults -no-user-config -display none -monitor stdio 2>&1); then
		skip "$QEMU cannot start here: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-200)"
	fi
	# The guest needs 9p (virtfs) support in qemu.
	"$QEMU" -device help 2>/dev/null | grep -q 'virtio-9p-pci' ||
		skip "$QEMU has no virtio-9p-pci (virtfs) support"
	log "qemu can run here (${accel_args[*]})"
}

# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------

# Mirror: ISULAKATA_VM_MIRROR, else the host's apt sources (deb822 or
# classic), preferring an entry that lists the plain release suite.
find_mirror() {
	if [[ -n ${ISULAKATA_VM_MIRROR:-} ]]; then
		printf '%s\n' "$ISULAKATA_VM_MIRROR"
		return
	fi
	local files=() f
	for f in /etc/apt/sources.list.d/*.sources; do [[ -r $f ]] && files+=("$f"); done
	local deb822=""
	if ((${#files[@]})); then
		deb822=$(awk -v suite="$GUEST_SUITE" '
			function flush() {
				if (types ~ /(^|[ \t])deb([ \t]|$)/ && uri != "") {
					n = split(suites, s, /[ \t]+/)
					plain = 0
					for (i = 1; i <= n; i++) {
						if (s[i] == suite) { print 0, uri; printed = 1 }
						if (s[i] != "" && s[i] !~ /-/) plain = 1
					}
					if (plain) print 1, uri
				}
				types = ""; uri = ""; suites = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			tolower($1) == "types:" { types = $0; sub(/^[^:]*:/, "", types) }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { suites = $0; sub(/^[^:]*:[ \t]*/, "", suites) }
			END { flush() }
		' "${files[@]}")
	fi
	local classic=""
	if [[ -r /etc/apt/sources.list ]]; then
		classic=$(awk -v suite="$GUEST_SUITE" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				uri = $i; s = $(i + 1)
				if (s == suite) print 0, uri
				else if (s !~ /-/) print 1, uri
			}' /etc/apt/sources.list)
	fi
	local best
	best=$(printf '%s\n%s\n' "$deb822" "$classic" | awk '$2 ~ /^(https?|file):/' | sort -s -k1,1n | head -n1 | cut -d' ' -f2)
	[[ -n $best ]] || die "no Debian mirror found in the host's apt sources; set ISULAKATA_VM_MIRROR"
	printf '%s\n' "$best"
}

build_key() {
	local fn
	{
		printf 'rev=%s suite=%s arch=%s\n' "$BUILD_RECIPE_REV" "$GUEST_SUITE" "$GUEST_ARCH"
		printf 'pkg=%s\n' "${GUEST_PACKAGES[@]}"
		printf 'mod=%s\n' "${INITRD_MODULES[@]}"
		for fn in $(compgen -A function build_); do declare -f "$fn"; done
	} | sha256sum | cut -c1-16
}

guest_dir() { printf '%s/guest-%s\n' "$CACHE_ROOT" "$(build_key)"; }

# build_rootfs_stage1 ROOT DEBCACHE MIRROR: download and unpack.
# Two stages, so that the package installation of the second one can be
# tuned: no fsync, no docs, no GPU/sound/wireless/... kernel modules, and no
# initramfs generation (the kernel package pulls in initramfs-tools; we build
# our own initrd). Diverting update-initramfs is what live-build does too.
build_rootfs_stage1() {
	local root=$1 debcache=$2 mirror=$3 include
	include=$(
		IFS=,
		printf '%s' "${GUEST_PACKAGES[*]}"
	)
	mkdir -p "$debcache"
	debootstrap --foreign --variant=minbase --arch="$GUEST_ARCH" --include="$include" \
		--cache-dir="$debcache" "$GUEST_SUITE" "$root" "$mirror" || return
	mkdir -p "$root/etc/dpkg/dpkg.cfg.d" || return
	{
		printf '%s\n' force-unsafe-io
		printf 'path-exclude=%s\n' '/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*' \
			'/usr/share/locale/*' '/usr/share/lintian/*'
		local kdir
		for kdir in drivers/gpu sound drivers/media drivers/net/wireless net/wireless net/mac80211 \
			drivers/infiniband drivers/staging drivers/bluetooth net/bluetooth drivers/iio \
			drivers/input/touchscreen drivers/isdn drivers/net/ethernet drivers/net/can net/can; do
			printf 'path-exclude=/lib/modules/*/kernel/%s/*\n' "$kdir"
		done
	} >"$root/etc/dpkg/dpkg.cfg.d/testvm" || return
	printf '/usr/sbin/update-initramfs\n/usr/sbin/update-initramfs.distrib\n:\n' >>"$root/var/lib/dpkg/diversions" || return
	printf '#!/bin/sh\n# diverted by testvm: the guest boots its own initrd\nexit 0\n' >"$root/usr/sbin/update-initramfs" || return
	chmod 0755 "$root/usr/sbin/update-initramfs"
}

# build_rootfs_stage2 ROOT: install and configure the packages.
build_rootfs_stage2() {
	chroot "$1" /debootstrap/debootstrap --second-stage
}

# build_configure ROOT: settle the tree for a init-less, network-less guest.
build_configure() {
	local root=$1
	printf 'testvm\n' >"$root/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 testvm\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
	: >"$root/etc/fstab"
	mkdir -p "$root/.testvm" "$root/root"
	# nothing in the guest needs docs, manuals or apt lists (files of the
	# first stage escaped the dpkg path-excludes)
	rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
		"$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
		"$root"/boot/initrd.img-*
}

# build_initrd ROOT OUT_INITRD: busybox + the modules for virtio disks, ext4
# and 9p; /init mounts /dev/vda and the control share, then switch_root's to
# the run-time script the host put on the control share.
build_initrd() {
	local root=$1 out=$2 kver kmods stage
	kver=$(basename "$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -type d | sort | tail -n1)")
	kmods="$root/lib/modules/$kver"
	stage=$(mktemp -d)
	mkdir -p "$stage"/{bin,dev,proc,sys,newroot,lib/modules}
	cp "$root/bin/busybox" "$stage/bin/busybox"
	local applet
	for applet in sh mount umount insmod switch_root mkdir sleep cat echo poweroff grep; do
		ln -s busybox "$stage/bin/$applet"
	done

	# resolve module files and dependency order (dependencies first)
	declare -A path_of=() seen=()
	local line mod rel
	while IFS= read -r line; do
		rel=${line%%:*}
		mod=${rel##*/}
		mod=${mod%%.ko*}
		path_of[${mod//-/_}]=$rel
	done <"$kmods/modules.dep"
	local order=()
	_initrd_add() {
		local m=${1//-/_} r dep deps
		[[ -n ${seen[$m]:-} ]] && return 0
		seen[$m]=1
		if [[ -z ${path_of[$m]:-} ]]; then
			if grep -Eq "/${m}\.ko\$|/${1}\.ko\$" "$kmods/modules.builtin"; then
				return 0
			fi
			echo "build_initrd: module $1 not found in $kmods" >&2
			return 1
		fi
		r=${path_of[$m]}
		deps=$(grep -E "^${r//./\\.}:" "$kmods/modules.dep" | cut -d: -f2)
		for dep in $deps; do
			dep=${dep##*/}
			_initrd_add "${dep%%.ko*}"
		done
		order+=("$r")
	}
	for mod in "${INITRD_MODULES[@]}"; do _initrd_add "$mod"; done
	local f name
	: >"$stage/modules"
	for rel in "${order[@]}"; do
		name=${rel##*/}
		case $name in
		*.ko.xz) xz -dc "$kmods/$rel" >"$stage/lib/modules/${name%.xz}" ;;
		*.ko.zst) zstd -qdc "$kmods/$rel" >"$stage/lib/modules/${name%.zst}" ;;
		*.ko.gz) gzip -dc "$kmods/$rel" >"$stage/lib/modules/${name%.gz}" ;;
		*) cp "$kmods/$rel" "$stage/lib/modules/$name" ;;
		esac
		f=${name%.xz}
		f=${f%.zst}
		f=${f%.gz}
		printf '%s\n' "$f" >>"$stage/modules"
	done

	cat >"$stage/init" <<-'EOF'
		#!/bin/sh
		# testvm initrd: mount root + control share, hand over to the host's script
		fail() {
			echo "testvm-initrd: $*"
			poweroff -f
			sleep 60
		}
		mount -t proc proc /proc
		verbose=0
		grep -q testvm.verbose=1 /proc/cmdline && verbose=1
		say() {
			[ "$verbose" = 1 ] || return 0
			read -r up _ </proc/uptime
			echo "[$up] testvm-initrd: $*"
		}
		mount -t sysfs sysfs /sys
		mount -t devtmpfs devtmpfs /dev
		say start
		for m in $(cat /modules); do
			insmod "/lib/modules/$m" || echo "testvm-initrd: insmod $m failed"
		done
		say "modules loaded"
		i=0
		while [ ! -b /dev/vda ]; do
			i=$((i + 1))
			[ "$i" -gt 100 ] && fail "no /dev/vda"
			sleep 0.1
		done
		mount -t ext4 -o rw,noatime /dev/vda /newroot || fail "cannot mount /dev/vda"
		mkdir -p /newroot/.testvm
		mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none testvm.ctl /newroot/.testvm ||
			fail "cannot mount the control share"
		[ -f /newroot/.testvm/init.sh ] || fail "no init.sh on the control share"
		say "root and control share mounted"
		umount /proc /sys
		mount --move /dev /newroot/dev
		exec switch_root /newroot /bin/bash /.testvm/init.sh
	EOF
	chmod 0755 "$stage/init"
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -6 >"$out"
	rm -rf "$stage"
	printf '%s\n' "$kver"
}

# build_vmlinux VMLINUZ OUT: the uncompressed ELF kernel. qemu boots it
# through its PVH entry point, skipping the bzImage self-decompression that
# takes ~4 s under TCG.
build_vmlinux() {
	local in=$1 out=$2 off
	off=$(LC_ALL=C grep -abo $'\xfd''7zXZ' "$in" | head -n1 | cut -d: -f1)
	[[ -n $off ]] || return 1
	tail -c +$((off + 1)) "$in" | xz -dc --single-stream >"$out" 2>/dev/null || true
	[[ $(head -c 4 "$out" | od -An -c | tr -d ' ') == 177ELF ]]
}

# build_image ROOT OUT_IMAGE: raw ext4 image from the tree, no loop mounts.
build_image() {
	local root=$1 out=$2 used_mb size_mb
	used_mb=$(du -sx --block-size=1M "$root" | cut -f1)
	size_mb=$((used_mb + used_mb / 2 + 1024))
	# no journal: the image is always opened snapshot=on, crashes do not matter;
	# inode tables initialised now so the guest does not do it in the background
	mkfs.ext4 -q -F -L testvm-root -O ^has_journal -E lazy_itable_init=0 \
		-d "$root" "$out" "${size_mb}M" >/dev/null
}

# umount_below DIR: unmount anything mounted at or below DIR (deepest first)
umount_below() {
	local dir=$1 m
	[[ -d $dir ]] || return 0
	dir=$(realpath "$dir")
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while IFS= read -r m; do umount -l "$m" 2>/dev/null || true; done
}

safe_rm_tree() {
	[[ -n ${1:-} && -e $1 ]] || return 0
	umount_below "$1"
	rm -rf --one-file-system "$1"
}

BUILD_TMP=""
cleanup_build() {
	if [[ -n $BUILD_TMP ]]; then
		safe_rm_tree "$BUILD_TMP"
		BUILD_TMP=""
	fi
}

build_failed() {
	tail -n 30 "$1" >&2
	[[ -f $BUILD_TMP/root/debootstrap/debootstrap.log ]] && tail -n 30 "$BUILD_TMP/root/debootstrap/debootstrap.log" >&2
	die "debootstrap failed (see above)"
}

cmd_build() {
	local force=0
	while (($#)); do
		case $1 in
		--force) force=1 ;;
		-h | --help)
			usage
			return 0
			;;
		*) die "build: unknown option $1" ;;
		esac
		shift
	done
	ensure_guest "$force"
	if [[ ${ISULAKATA_VM_PWSH_R2R:-1} == 1 ]]; then
		local dotnet_dir nuget_dir pwsh_dll=""
		dotnet_dir=$(host_dotnet_dir)
		nuget_dir=$(host_nuget_dir)
		[[ -n $nuget_dir ]] && pwsh_dll=$(find_pwsh_dll "$nuget_dir")
		if [[ -n $dotnet_dir && -n $pwsh_dll ]]; then
			local r2r
			if r2r=$(ensure_pwsh_r2r "$dotnet_dir" "$pwsh_dll"); then
				log "PowerShell for the guest (ReadyToRun): $r2r"
			else
				log "warning: could not compile PowerShell ReadyToRun, the guest uses the plain one"
			fi
		else
			log "warning: no host pwsh (run 'dotnet tool restore'), nothing to compile"
		fi
	fi
}

# ensure_guest FORCE: make sure the cached guest for this recipe exists.
ensure_guest() {
	local force=${1:-0} dir
	dir=$(guest_dir)
	if ((!force)) && [[ -f $dir/ready ]]; then
		log "reusing cached guest $dir"
		return 0
	fi
	[[ $EUID -eq 0 ]] || die "building the guest needs root (debootstrap)"
	ensure_host_tools debootstrap mkfs.ext4 cpio gzip xz zstd flock || die "cannot get the host tools to build the guest"
	mkdir -p "$CACHE_ROOT"
	local lockfd
	exec {lockfd}>"$CACHE_ROOT/.lock"
	if ! flock -n "$lockfd"; then
		log "another build holds $CACHE_ROOT/.lock, waiting"
		flock "$lockfd"
	fi
	if ((!force)) && [[ -f $dir/ready ]]; then
		log "reusing cached guest $dir (built meanwhile)"
		exec {lockfd}>&-
		return 0
	fi
	# leftovers of builds that were killed hard
	local old
	for old in "$CACHE_ROOT"/.tmp-*; do [[ -e $old ]] && safe_rm_tree "$old"; done

	local mirror t_all t
	mirror=$(find_mirror)
	log "building guest $(basename "$dir") ($GUEST_SUITE/$GUEST_ARCH from $mirror)"
	t_all=$(now_us)
	BUILD_TMP=$(mktemp -d "$CACHE_ROOT/.tmp-XXXXXX")
	trap cleanup_build EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	t=$(now_us)
	local dlog="$BUILD_TMP/debootstrap.log"
	build_rootfs_stage1 "$BUILD_TMP/root" "$CACHE_ROOT/debs" "$mirror" >"$dlog" 2>&1 || build_failed "$dlog"
	log "phase debootstrap stage 1 (download, unpack): $(fmt_secs "$t")"
	t=$(now_us)
	build_rootfs_stage2 "$BUILD_TMP/root" >>"$dlog" 2>&1 || build_failed "$dlog"
	log "phase debootstrap stage 2 (install packages): $(fmt_secs "$t")"

	t=$(now_us)
	umount_below "$BUILD_TMP/root"
	build_configure "$BUILD_TMP/root"
	log "phase configure: $(fmt_secs "$t")"

	t=$(now_us)
	local kver
	kver=$(build_initrd "$BUILD_TMP/root" "$BUILD_TMP/initrd.gz")
	cp "$BUILD_TMP/root/boot/vmlinuz-$kver" "$BUILD_TMP/vmlinuz"
	build_vmlinux "$BUILD_TMP/vmlinuz" "$BUILD_TMP/vmlinux" || {
		log "warning: could not extract vmlinux, booting the (slower) compressed kernel"
		rm -f "$BUILD_TMP/vmlinux"
	}
	log "phase kernel+initrd: $(fmt_secs "$t") (kernel $kver, initrd $(du -h "$BUILD_TMP/initrd.gz" | cut -f1))"

	t=$(now_us)
	build_image "$BUILD_TMP/root" "$BUILD_TMP/root.img"
	log "phase image: $(fmt_secs "$t") ($(du -h --apparent-size "$BUILD_TMP/root.img" | cut -f1) raw, $(du -h "$BUILD_TMP/root.img" | cut -f1) used)"

	safe_rm_tree "$BUILD_TMP/root"
	printf '%s\n' "$kver" >"$BUILD_TMP/kernel-version"
	printf 'key=%s\nmirror=%s\nbuilt=%s\n' "$(build_key)" "$mirror" "$(date -u +%FT%TZ)" >"$BUILD_TMP/ready"
	chmod 0755 "$BUILD_TMP" # mktemp made it private; non-root runs read it
	[[ -e $dir ]] && safe_rm_tree "$dir"
	mv -T "$BUILD_TMP" "$dir"
	BUILD_TMP=""
	trap - EXIT INT TERM HUP
	exec {lockfd}>&-
	log "guest built in $(fmt_secs "$t_all"): $dir"
}

cmd_clean() {
	local all=0 keep d
	[[ ${1:-} == --all ]] && all=1
	[[ -d $CACHE_ROOT ]] || return 0
	if ((all)); then
		log "removing $CACHE_ROOT"
		safe_rm_tree "$CACHE_ROOT"
		return 0
	fi
	# wait for builds in progress, their temp dirs are not stale
	local lock1 lock2
	exec {lock1}>"$CACHE_ROOT/.lock" {lock2}>"$CACHE_ROOT/.lock-r2r"
	flock "$lock1"
	flock "$lock2"
	keep=$(guest_dir)
	local dotnet_dir nuget_dir pwsh_dll="" keep_r2r=""
	dotnet_dir=$(host_dotnet_dir)
	nuget_dir=$(host_nuget_dir)
	[[ -n $nuget_dir ]] && pwsh_dll=$(find_pwsh_dll "$nuget_dir")
	[[ -n $dotnet_dir && -n $pwsh_dll ]] && keep_r2r=$(pwsh_r2r_dir "$dotnet_dir" "$pwsh_dll")
	for d in "$CACHE_ROOT"/guest-* "$CACHE_ROOT"/pwsh-r2r-* "$CACHE_ROOT"/.tmp-* "$CACHE_ROOT"/.r2rtmp-*; do
		[[ -e $d && $d != "$keep" && $d != "$keep_r2r" ]] || continue
		log "removing $d"
		safe_rm_tree "$d"
	done
}

# ---------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------
RUN_TMP=""
QEMU_PID=""
TAIL_PIDS=()
cleanup_run() {
	local p
	if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill -TERM "$QEMU_PID" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$QEMU_PID" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	QEMU_PID=""
	for p in "${TAIL_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	TAIL_PIDS=()
	if [[ -n $RUN_TMP ]]; then
		rm -rf --one-file-system "$RUN_TMP"
		RUN_TMP=""
	fi
}

# the host's .NET folder (where the dotnet executable lives), or nothing
host_dotnet_dir() {
	local d=${ISULAKATA_VM_DOTNET_ROOT:-${DOTNET_ROOT:-}}
	if [[ -z $d ]] && command -v dotnet >/dev/null 2>&1; then
		d=$(dirname "$(readlink -f "$(command -v dotnet)")")
	fi
	[[ -n $d && -x $d/dotnet ]] && realpath "$d"
	return 0
}

# the host's NuGet package folder, or nothing
host_nuget_dir() {
	local d=${NUGET_PACKAGES:-${HOME:-/root}/.nuget/packages}
	[[ -d $d ]] && realpath "$d"
	return 0
}

# ensure_pwsh_r2r DOTNET_DIR PWSH_DLL: print the pwsh.dll of a ReadyToRun
# compiled copy of the PowerShell tool folder, compiling it first if needed.
# The NuGet tool ships IL only, so every pwsh start JIT-compiles PowerShell,
# which is what makes a start take 15-20 s or more under TCG; precompiled it
# is 2-3 times faster. Costs ~25 s of crossgen2 once per cache (crossgen2
# comes from NuGet). ISULAKATA_VM_PWSH_R2R=0 turns this off.
# newest Microsoft.NETCore.App folder of a .NET folder
host_netcore_dir() {
	find "$1/shared/Microsoft.NETCore.App" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort -V | tail -n1
}

# pwsh_r2r_dir DOTNET_DIR PWSH_DLL: cache folder of its ReadyToRun copy
pwsh_r2r_dir() {
	local src fwdir key
	src=$(dirname "$2")
	fwdir=$(host_netcore_dir "$1")
	[[ -n $fwdir ]] || return 1
	key=$(printf '%s\n' r2r-2 "$src" "$(basename "$fwdir")" "$(stat -c '%s %Y' "$src"/*.dll | sha256sum)" | sha256sum | cut -c1-16)
	printf '%s/pwsh-r2r-%s\n' "$CACHE_ROOT" "$key"
}

ensure_pwsh_r2r() {
	local dotnet_dir=$1 dll=$2 src fwdir fwver out
	src=$(dirname "$dll")
	fwdir=$(host_netcore_dir "$dotnet_dir")
	[[ -n $fwdir ]] || return 1
	fwver=$(basename "$fwdir")
	out=$(pwsh_r2r_dir "$dotnet_dir" "$dll") || return 1
	if [[ -f $out/ready ]]; then
		printf '%s/pwsh/%s\n' "$out" "$(basename "$dll")"
		return 0
	fi
	mkdir -p "$CACHE_ROOT"
	local lockfd
	exec {lockfd}>"$CACHE_ROOT/.lock-r2r"
	flock "$lockfd"
	if [[ ! -f $out/ready ]]; then
		log "compiling PowerShell ReadyToRun (crossgen2 $fwver) into $out"
		local t tmp cg f name
		t=$(now_us)
		local old
		for old in "$CACHE_ROOT"/.r2rtmp-*; do [[ -e $old ]] && rm -rf --one-file-system "$old"; done
		tmp=$(mktemp -d "$CACHE_ROOT/.r2rtmp-XXXXXX")
		mkdir -p "$tmp/proj"
		printf '%s\n' '<Project Sdk="Microsoft.NET.Sdk">' \
			"  <PropertyGroup><TargetFramework>net${fwver%%.*}.0</TargetFramework></PropertyGroup>" \
			"  <ItemGroup><PackageDownload Include=\"microsoft.netcore.app.crossgen2.linux-x64\" Version=\"[$fwver]\" /></ItemGroup>" \
			'</Project>' >"$tmp/proj/crossgen2.csproj"
		if ! DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 "$dotnet_dir/dotnet" restore "$tmp/proj/crossgen2.csproj" \
			--packages "$CACHE_ROOT/nuget" >"$tmp/restore.log" 2>&1; then
			tail -n 5 "$tmp/restore.log" >&2
			rm -rf "$tmp"
			exec {lockfd}>&-
			return 1
		fi
		cg="$CACHE_ROOT/nuget/microsoft.netcore.app.crossgen2.linux-x64/$fwver/tools/crossgen2"
		if [[ ! -x $cg ]]; then
			log "no crossgen2 in the restored package"
			rm -rf "$tmp"
			exec {lockfd}>&-
			return 1
		fi
		if ! cp -a "$src" "$tmp/pwsh"; then
			rm -rf "$tmp"
			exec {lockfd}>&-
			return 1
		fi
		# only what a pwsh session loads as a rule: the big rest (Roslyn for
		# Add-Type, ...) would double the compile time for nothing
		for f in "$src"/pwsh.dll "$src"/System.Management.Automation.dll "$src"/Microsoft.PowerShell.*.dll \
			"$src"/Newtonsoft.Json.dll "$src"/Microsoft.Management.Infrastructure*.dll \
			"$src"/Microsoft.ApplicationInsights.dll "$src"/Microsoft.Extensions.ObjectPool.dll; do
			[[ -f $f ]] || continue
			name=$(basename "$f")
			# assemblies crossgen2 cannot compile (already native, reference
			# only, ...) stay as they are
			if "$cg" "$f" -o "$tmp/$name.r2r" -r "$src/*.dll" -r "$fwdir/*.dll" \
				--targetos:linux --targetarch:x64 -O >>"$tmp/crossgen2.log" 2>&1; then
				mv -f "$tmp/$name.r2r" "$tmp/pwsh/$name"
			fi
			rm -f "$tmp/$name.r2r"
		done
		rm -rf "$tmp/proj"
		printf 'source=%s\nruntime=%s\n' "$src" "$fwver" >"$tmp/ready"
		chmod 0755 "$tmp"
		mv -T "$tmp" "$out"
		log "phase pwsh ReadyToRun: $(fmt_secs "$t")"
	fi
	exec {lockfd}>&-
	printf '%s/pwsh/%s\n' "$out" "$(basename "$dll")"
}

# pwsh.dll of the repo's pinned powershell tool (.config/dotnet-tools.json),
# else the newest one in the NuGet folder.
find_pwsh_dll() {
	local nuget=$1 ver="" manifest="$REPO_ROOT/.config/dotnet-tools.json" c
	if [[ -r $manifest ]]; then
		ver=$(tr -d '\n' <"$manifest" | sed -n 's/.*"powershell"[^}]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
	fi
	if [[ -n $ver ]]; then
		for c in "$nuget/powershell/$ver"/tools/*/any/unix/pwsh.dll; do
			[[ -f $c ]] && {
				printf '%s\n' "$c"
				return 0
			}
		done
	fi
	find "$nuget/powershell" -path '*/any/unix/pwsh.dll' 2>/dev/null | sort -V | tail -n1
}

cmd_run() {
	local ndisks=0 disk_size=4G timeout_s=900 mem=${ISULAKATA_VM_MEM:-3584} cpus=${ISULAKATA_VM_CPUS:-2}
	local verbose=${ISULAKATA_VM_VERBOSE:-0}
	local -a shares=() envs=() cmd=()
	while (($#)); do
		case $1 in
		--disks) ndisks=${2:?--disks needs a number}; shift ;;
		--disks=*) ndisks=${1#*=} ;;
		--disk-size) disk_size=${2:?--disk-size needs a size}; shift ;;
		--disk-size=*) disk_size=${1#*=} ;;
		--share) shares+=("${2:?--share needs TAG=HOSTPATH[:ro]}"); shift ;;
		--share=*) shares+=("${1#*=}") ;;
		--env) envs+=("${2:?--env needs NAME=VALUE}"); shift ;;
		--env=*) envs+=("${1#*=}") ;;
		--timeout) timeout_s=${2:?--timeout needs seconds}; shift ;;
		--timeout=*) timeout_s=${1#*=} ;;
		--memory) mem=${2:?--memory needs MiB}; shift ;;
		--memory=*) mem=${1#*=} ;;
		--cpus) cpus=${2:?--cpus needs a number}; shift ;;
		--cpus=*) cpus=${1#*=} ;;
		-v | --verbose) verbose=1 ;;
		-h | --help)
			usage
			return 0
			;;
		--)
			shift
			cmd=("$@")
			break
			;;
		-*) die "run: unknown option $1" ;;
		*)
			cmd=("$@")
			break
			;;
		esac
		shift
	done
	((${#cmd[@]})) || die "run: no guest command given (testvm.sh run [options] -- CMD...)"
	if ! [[ $ndisks =~ ^[0-9]+$ ]] || ((ndisks > 20)); then die "--disks must be 0..20"; fi
	if ! [[ $timeout_s =~ ^[0-9]+$ ]] || ((timeout_s == 0)); then die "--timeout must be a positive number of seconds"; fi
	[[ $mem =~ ^[0-9]+$ ]] || die "--memory must be MiB"
	[[ $cpus =~ ^[0-9]+$ ]] || die "--cpus must be a number"
	[[ -f $GUEST_INIT ]] || die "missing $GUEST_INIT"
	local e
	for e in "${envs[@]}"; do
		[[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env wants NAME=VALUE, got '$e'"
	done

	ensure_host_tools "$QEMU" || die "qemu is not available (see: testvm.sh check)"
	ensure_guest 0
	local gdir t_total
	gdir=$(guest_dir)
	t_total=$(now_us)

	trap cleanup_run EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	local tmpbase=${ISULAKATA_VM_TMP:-${TMPDIR:-/tmp}} stale
	# temp dirs of runs that were killed with SIGKILL (their owner is gone)
	for stale in "$tmpbase"/isulakata-testvm.*; do
		[[ -f $stale/owner ]] || continue
		kill -0 "$(<"$stale/owner")" 2>/dev/null || rm -rf --one-file-system "$stale"
	done
	RUN_TMP=$(mktemp -d "$tmpbase/isulakata-testvm.XXXXXX")
	printf '%s\n' "$$" >"$RUN_TMP/owner"
	local ctl="$RUN_TMP/ctl"
	mkdir -p "$ctl"
	cp "$GUEST_INIT" "$ctl/init.sh"

	# --- shares: standard read-only ones, then the caller's ---------------
	local -a share_tag=() share_path=() share_mode=()
	local dotnet_dir nuget_dir
	dotnet_dir=$(host_dotnet_dir)
	nuget_dir=$(host_nuget_dir)
	if [[ -n $dotnet_dir ]]; then
		share_tag+=(testvm.dotnet) share_path+=("$dotnet_dir") share_mode+=(ro)
	else
		log "warning: no host .NET found, the guest will have no dotnet"
	fi
	if [[ -n $nuget_dir ]]; then
		share_tag+=(testvm.nuget) share_path+=("$nuget_dir") share_mode+=(ro)
	else
		log "warning: no NuGet package folder (NUGET_PACKAGES or ~/.nuget/packages)"
	fi
	local pwsh_dll="" r2r_dll
	[[ -n $nuget_dir ]] && pwsh_dll=$(find_pwsh_dll "$nuget_dir")
	if [[ -n $pwsh_dll && -n $dotnet_dir && ${ISULAKATA_VM_PWSH_R2R:-1} == 1 ]]; then
		if r2r_dll=$(ensure_pwsh_r2r "$dotnet_dir" "$pwsh_dll"); then
			pwsh_dll=$r2r_dll
			share_tag+=(testvm.pwsh) share_path+=("$(dirname "$(dirname "$pwsh_dll")")") share_mode+=(ro)
		else
			log "warning: ReadyToRun PowerShell not available, using the plain one"
		fi
	fi
	local s tag path mode
	for s in "${shares[@]}"; do
		[[ $s == *=* ]] || die "--share wants TAG=HOSTPATH[:ro], got '$s'"
		tag=${s%%=*}
		path=${s#*=}
		mode=rw
		case $path in
		*:ro) mode=ro path=${path%:ro} ;;
		*:rw) path=${path%:rw} ;;
		esac
		[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}$ && $tag != testvm.* ]] ||
			die "--share tag '$tag': use 1-31 of [A-Za-z0-9_.-], not starting with 'testvm.'"
		[[ -d $path ]] || die "--share $tag: no such directory '$path'"
		path=$(realpath "$path")
		[[ $path != / ]] || die "--share $tag: refusing to share /"
		local t
		for t in "${share_tag[@]}"; do [[ $t != "$tag" ]] || die "--share tag '$tag' used twice"; done
		share_tag+=("$tag") share_path+=("$path") share_mode+=("$mode")
	done

	# --- control files for guest-init.sh (NUL separated, no quoting games) ---
	local i
	: >"$ctl/shares"
	for i in "${!share_tag[@]}"; do
		printf '%s\0%s\0%s\0' "${share_tag[$i]}" "${share_path[$i]}" "${share_mode[$i]}" >>"$ctl/shares"
	done
	printf '%s\0' "${cmd[@]}" >"$ctl/argv"
	{
		[[ -n $dotnet_dir ]] && printf 'DOTNET_ROOT=%s\0' "$dotnet_dir"
		[[ -n $nuget_dir ]] && printf 'NUGET_PACKAGES=%s\0' "$nuget_dir"
		[[ -n $pwsh_dll ]] && printf 'TESTVM_PWSH_DLL=%s\0' "$pwsh_dll"
		printf 'TESTVM_WORKDIR=%s\0' "$PWD"
		printf 'TESTVM_VERBOSE=%s\0' "$verbose"
	} >"$ctl/env"
	: >"$ctl/userenv"
	for e in "${envs[@]}"; do printf '%s\0' "$e" >>"$ctl/userenv"; done

	# --- qemu command line ------------------------------------------------
	local -a q accel_args
	local accel_out
	accel_out=$(qemu_accel_args)
	mapfile -t accel_args <<<"$accel_out"
	local kquiet="quiet loglevel=4" kernel="$gdir/vmlinuz"
	[[ $verbose == 1 ]] && kquiet="loglevel=6 testvm.verbose=1"
	[[ -f $gdir/vmlinux ]] && kernel="$gdir/vmlinux"
	# shellcheck disable=SC2054 # commas belong to qemu option values
	q=("$QEMU" -name isulakata-testvm -machine pc "${accel_args[@]}" -smp "$cpus" -m "$mem"
		-nodefaults -no-user-config -display none -monitor none -no-reboot
		-kernel "$kernel" -initrd "$gdir/initrd.gz"
		-append "console=ttyS0 panic=-1 mitigations=off $kquiet"
		-serial "file:$(qemu_esc "$RUN_TMP/console.log")"
		-serial "file:$(qemu_esc "$RUN_TMP/output.log")"
		-drive "if=none,id=root,format=raw,snapshot=on,cache=unsafe,file=$(qemu_esc "$gdir/root.img")"
		-device virtio-blk-pci,drive=root,serial=testvm-root
		-fsdev "local,id=fsctl,security_model=none,path=$(qemu_esc "$ctl")"
		-device virtio-9p-pci,fsdev=fsctl,mount_tag=testvm.ctl)
	local d disk
	for ((d = 1; d <= ndisks; d++)); do
		disk="$RUN_TMP/disk$d.raw"
		truncate -s "$disk_size" "$disk" || die "cannot create a $disk_size disk"
		q+=(-drive "if=none,id=disk$d,format=raw,cache=unsafe,discard=unmap,file=$(qemu_esc "$disk")"
			-device "virtio-blk-pci,drive=disk$d,serial=testvm-disk$d")
	done
	for i in "${!share_tag[@]}"; do
		local ro=""
		[[ ${share_mode[$i]} == ro ]] && ro=",readonly=on"
		q+=(-fsdev "local,id=fs$i,security_model=none,multidevs=remap$ro,path=$(qemu_esc "${share_path[$i]}")"
			-device "virtio-9p-pci,fsdev=fs$i,mount_tag=${share_tag[$i]}")
	done

	: >"$RUN_TMP/console.log"
	: >"$RUN_TMP/output.log"
	log "booting guest ($ndisks extra disk(s), ${#share_tag[@]} share(s), timeout ${timeout_s}s)"
	# TMPDIR: where qemu puts the snapshot=on overlay of the root image
	TMPDIR="$RUN_TMP" timeout --kill-after=10 "$timeout_s" "${q[@]}" </dev/null >"$RUN_TMP/qemu.log" 2>&1 &
	QEMU_PID=$!
	tail -n +1 -s 0.2 -f --pid="$QEMU_PID" "$RUN_TMP/output.log" &
	TAIL_PIDS+=($!)
	if [[ $verbose == 1 ]]; then
		tail -n +1 -s 0.2 -f --pid="$QEMU_PID" "$RUN_TMP/console.log" >&2 &
		TAIL_PIDS+=($!)
	fi
	local qrc=0
	wait "$QEMU_PID" || qrc=$?
	QEMU_PID=""
	local p
	for p in "${TAIL_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	TAIL_PIDS=()

	local rc
	if [[ -s $ctl/rc ]]; then
		rc=$(<"$ctl/rc")
		local t_boot="" t_cmd=""
		[[ -s $ctl/t_start ]] && t_boot=$(<"$ctl/t_start")
		[[ -s $ctl/t_cmd ]] && t_cmd=$(<"$ctl/t_cmd")
		[[ $rc =~ ^[0-9]+$ ]] || die "bad exit code from guest: '$rc'"
		if [[ -z $t_boot ]]; then
			log "ERROR: the guest could not start the command (exit $rc, whole run $(fmt_secs "$t_total"))"
			exit "$rc"
		fi
		log "guest command exited $rc (boot-to-command ${t_boot}s, command ${t_cmd:-?}s, whole run $(fmt_secs "$t_total"))"
		exit "$rc"
	fi
	if ((qrc == 124 || qrc == 137)); then
		printf 'testvm: TIMEOUT: guest killed after %ss (--timeout); last console lines:\n' "$timeout_s" >&2
		tail -n 20 "$RUN_TMP/console.log" >&2 || true
		exit 124
	fi
	printf 'testvm: ERROR: guest stopped without reporting an exit code (qemu exit %s)\n' "$qrc" >&2
	if [[ -s $RUN_TMP/qemu.log ]]; then
		printf -- '--- qemu:\n' >&2
		tail -n 20 "$RUN_TMP/qemu.log" >&2
	fi
	printf -- '--- last console lines:\n' >&2
	tail -n 40 "$RUN_TMP/console.log" >&2 || true
	exit 125
}

main() {
	local sub=${1:-}
	(($#)) && shift
	case $sub in
	check) cmd_check "$@" ;;
	build) cmd_build "$@" ;;
	run) cmd_run "$@" ;;
	clean) cmd_clean "$@" ;;
	key) build_key ;;
	mirror) find_mirror ;;
	-h | --help | help)
		usage
		;;
	*)
		usage
		exit 2
		;;
	esac
}

main "$@"
