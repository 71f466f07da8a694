#!/bin/bash
# guest-init.sh - PID 1 of the testvm guest (run-time half, not baked into the
# cached image). The initrd mounted the root disk and the control share at
# /.testvm and switch_root'ed here. This script mounts the host's shares at
# their host paths, starts udevd and dmeventd, runs the command from
# /.testvm/argv with its output on the second serial port (/dev/ttyS1), writes
# its exit code to /.testvm/rc and powers the guest off.
set -u
CTL=/.testvm
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() {
	local up _
	read -r up _ </proc/uptime
	echo "[$up] testvm-guest: $*"
}
finish() {
	sync
	busybox poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 30
}
# fatal MSG: the guest cannot run the command; say so where the caller looks
# (its output) and report 125 like the host side does for harness failures
fatal() {
	say "ERROR: $*"
	echo "testvm-guest: ERROR: $*" >/dev/ttyS1
	echo 125 >"$CTL/rc"
	finish
}

# busybox (static, small) mounts noticeably faster than util-linux under TCG
bmount() { busybox mount "$@"; }
bmount -t proc proc /proc
bmount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
bmount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
bmount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
bmount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mkdir -p /run/lock /run/lvm /run/udev
bmount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
bmount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null || true
echo testvm >/proc/sys/kernel/hostname
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr

# environment handed over by the host (NAME=VALUE, NUL separated)
declare -a guest_env=()
mapfile -d '' -t guest_env <"$CTL/env"
for kv in "${guest_env[@]}"; do export "${kv?}"; done
VERBOSE=${TESTVM_VERBOSE:-0}
[ "$VERBOSE" = 1 ] && say "pseudo filesystems mounted"

# 9p shares at the same absolute path as on the host
declare -a sh=()
mapfile -d '' -t sh <"$CTL/shares"
for ((i = 0; i + 2 < ${#sh[@]}; i += 3)); do
	tag=${sh[i]} path=${sh[i + 1]} mode=${sh[i + 2]}
	if [ "$mode" = ro ]; then
		opts=ro,cache=loose
	else
		opts=rw,cache=mmap
	fi
	if ! { mkdir -p "$path" && bmount -t 9p -o "trans=virtio,version=9p2000.L,msize=512000,$opts" "$tag" "$path"; }; then
		fatal "cannot mount share $tag at $path"
	fi
done

[ "$VERBOSE" = 1 ] && say "shares mounted, starting udevd"
# udev: lvcreate needs it ("Failed to wipe start of new LV" otherwise)
/lib/systemd/systemd-udevd --daemon || fatal "cannot start systemd-udevd"
# Coldplug only block devices: a full trigger autoloads modules for every
# emulated device, which costs >10 s under TCG and is of no use here.
udevadm trigger --type=devices --action=add --subsystem-match=block
udevadm settle --timeout=60 || say "udevadm settle timed out"
[ "$VERBOSE" = 1 ] && say "udev settled"
# dmeventd monitors thin pools (lvm would also start it on demand)
dmeventd || say "cannot start dmeventd"

export HOME=/root LANG=C.UTF-8 TERM=dumb
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off
if [ -n "${DOTNET_ROOT:-}" ]; then
	export PATH="$PATH:$DOTNET_ROOT"
fi
if [ -n "${TESTVM_PWSH_DLL:-}" ] && [ -f "$TESTVM_PWSH_DLL" ]; then
	printf '#!/bin/bash\nexec dotnet %q "$@"\n' "$TESTVM_PWSH_DLL" >/usr/local/bin/pwsh
	chmod 0755 /usr/local/bin/pwsh
fi
cd "${TESTVM_WORKDIR:-/root}" 2>/dev/null || cd /root || say "no /root"
unset TESTVM_VERBOSE TESTVM_WORKDIR TESTVM_PWSH_DLL
# the caller's --env settings come last and win
declare -a user_env=()
[ -f "$CTL/userenv" ] && mapfile -d '' -t user_env <"$CTL/userenv"
for kv in "${user_env[@]}"; do export "${kv?}"; done

if [ "$VERBOSE" = 1 ]; then
	say "kernel $(uname -r); disks: $(cd /sys/block && echo vd*)"
	grep ' 9p ' /proc/mounts
fi

declare -a argv=()
mapfile -d '' -t argv <"$CTL/argv"
read -r up _ </proc/uptime
printf '%s\n' "$up" >"$CTL/t_start"
[ "$VERBOSE" = 1 ] && say "running: ${argv[*]}"

# Output via a pipe, so the command does not see a tty (no colours/progress).
# Only the command itself is waited for: a daemon it left running in the
# background may hold the pipe open forever, so cat gets a short time to
# drain what is left and is then stopped.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
mkfifo /run/testvm-output
cat /run/testvm-output >/dev/ttyS1 &
catpid=$!
"${argv[@]}" </dev/null >/run/testvm-output 2>&1
rc=$?
read -r up2 _ </proc/uptime
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	kill -0 "$catpid" 2>/dev/null || break
	sleep 0.1
done
kill "$catpid" 2>/dev/null

awk -v a="$up" -v b="$up2" 'BEGIN { printf "%.1f\n", b - a }' >"$CTL/t_cmd"
printf '%s\n' "$rc" >"$CTL/rc"
[ "$VERBOSE" = 1 ] && say "command exited $rc"
finish
