#!/usr/bin/env bash
# selftest.sh - proves the testvm harness on this machine: the guest builds
# (or is reused), LVM thin pools and vhost_vsock work on a blank virtio disk,
# pwsh runs in the guest, and a guest exit code comes back. Skips (exit 0)
# where qemu cannot run at all.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tvm="$here/testvm.sh"
passed=0 failed=0
ok() {
	passed=$((passed + 1))
	printf 'ok   - %s\n' "$*"
}
nok() {
	failed=$((failed + 1))
	printf 'FAIL - %s\n' "$*"
}

rc=0
"$tvm" check || rc=$?
if ((rc == 3)); then
	echo "selftest: qemu cannot run here, nothing tested"
	exit 0
elif ((rc != 0)); then
	echo "selftest: testvm.sh check failed ($rc)" >&2
	exit 1
fi

"$tvm" build

out=$(mktemp)
trap 'rm -f "$out"' EXIT

rc=0
"$tvm" run --disks 2 --share "selftest=$here/selftest:ro" -- bash "$here/selftest/lvm-thinpool.sh" | tee "$out" || rc=$?
if ((rc == 0)) && grep -q '"lv_attr":"twi-a-t---"' "$out" && grep -q '"seg_monitor":"monitored"' "$out"; then
	ok "LVM thin pool on /dev/vdb is active and monitored"
else
	nok "LVM thin pool (exit $rc)"
fi
if grep -q '/dev/vhost-vsock' "$out"; then ok "vhost_vsock loads"; else nok "vhost_vsock"; fi

want=$(tr -d '\n' <"$here/../../.config/dotnet-tools.json" |
	sed -n 's/.*"powershell"[^}]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
rc=0
# shellcheck disable=SC2016 # PowerShell expression, expanded in the guest
"$tvm" run -- pwsh -NoProfile -c '$PSVersionTable.PSVersion.ToString()' | tee "$out" || rc=$?
if ((rc == 0)) && grep -qx "${want:-7}.*" "$out"; then
	ok "pwsh ${want:-} runs in the guest"
else
	nok "pwsh in the guest (exit $rc)"
fi

rc=0
"$tvm" run -- sh -c 'echo failing on purpose; exit 7' || rc=$?
if ((rc == 7)); then ok "guest exit code 7 comes back"; else nok "guest exit code: got $rc, want 7"; fi

echo "testvm selftest: $passed passed, $failed failed"
((failed == 0))
