#!/usr/bin/env bash
# Tests of scripts/cuse-vm: each case boots a real qemu guest (about 5-15 s).
# Usage: Tests/vm/test-cuse-vm.sh     (prints "N passed, N failed"; non-zero on failure)
# shellcheck disable=SC2016 # single-quoted $ expansions are meant for the guest's shell
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cuse_vm=$repo/scripts/cuse-vm
self=$here/$(basename "${BASH_SOURCE[0]}")
# Host /tmp is NOT visible in the guest (a fresh tmpfs covers it): keep files
# the guest must see under the repository's (git-ignored) .build/.
work=$repo/.build/cuse-vm-test
mkdir -p "$work"
out=$work/stdout
err=$work/stderr

passed=0
failed=0
pass() {
	passed=$((passed + 1))
	echo "PASS: $1"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL: $1"
	echo "  status: $status"
	echo "  stdout: $(head -c 2000 "$out" | tr '\0' '@')"
	echo "  stderr: $(head -c 2000 "$err" | tr '\0' '@')"
}
# vm ARG... — run cuse-vm, capturing stdout, stderr and the exit status.
vm() {
	"$cuse_vm" "$@" >"$out" 2>"$err"
	status=$?
}

# Build the cache first, with its progress visible, so later stderr is clean.
if ! "$cuse_vm" --prepare; then
	echo "FAIL: cuse-vm --prepare"
	echo "0 passed, 1 failed"
	exit 1
fi

vm -- sh -c 'test -c /dev/cuse && echo cuse-ok; exit 3'
if [[ $status -eq 3 && $(cat "$out") == cuse-ok ]]; then
	pass "/dev/cuse exists in the guest; exit status 3 comes back"
else
	fail "/dev/cuse exists in the guest; exit status 3 comes back"
fi

vm -- echo only-this
if [[ $status -eq 0 && $(od -c <"$out") == "$(printf 'only-this\n' | od -c)" && ! -s $err ]]; then
	pass "stdout is exactly the command's output (no boot noise, no CR); stderr empty"
else
	fail "stdout is exactly the command's output (no boot noise, no CR); stderr empty"
fi

vm -- sh -c 'echo to-err >&2; printf "a\r\nb\000c"'
if [[ $status -eq 0 && $(cat "$err") == to-err && $(od -c <"$out") == "$(printf 'a\r\nb\000c' | od -c)" ]]; then
	pass "stderr is separate; stdout is byte-exact (CR and NUL kept)"
else
	fail "stderr is separate; stdout is byte-exact (CR and NUL kept)"
fi

vm -- test -f "$self"
if [[ $status -eq 0 ]]; then
	pass "the host's paths are visible in the guest ($self)"
else
	fail "the host's paths are visible in the guest ($self)"
fi

(cd "$here" && CUSE_VM_ENV="CV_TEST_A CV_TEST_UNSET" CV_TEST_A="x 'y' \$z" "$cuse_vm" -- \
	sh -c 'printf "%s|%s|%s|%s\n" "$PWD" "$CV_TEST_A" "${CV_TEST_UNSET-unset}" "$CUSE_VM"' >"$out" 2>"$err")
status=$?
if [[ $status -eq 0 && $(cat "$out") == "$here|x 'y' \$z|unset|1" ]]; then
	pass "working directory and CUSE_VM_ENV variables reach the guest"
else
	fail "working directory and CUSE_VM_ENV variables reach the guest"
fi

vm -- sh -c "touch '$repo/.cuse-vm-write-test' 2>/dev/null && echo repo-writable; touch /tmp/x && echo tmp-writable"
if [[ $status -eq 0 && $(cat "$out") == tmp-writable ]]; then
	pass "host file system is read-only in the guest; /tmp is writable"
else
	fail "host file system is read-only in the guest; /tmp is writable"
fi

vm -- cuse-vm-no-such-command
if [[ $status -ne 0 && ! -s $out ]]; then
	pass "a command that does not exist gives a non-zero status ($status)"
else
	fail "a command that does not exist gives a non-zero status"
fi

CUSE_VM_TIMEOUT=3 vm -- sleep 60
if [[ $status -eq 124 ]] && grep -q CUSE_VM_TIMEOUT "$err"; then
	pass "CUSE_VM_TIMEOUT kills a run that takes too long (status 124)"
else
	fail "CUSE_VM_TIMEOUT kills a run that takes too long (status 124)"
fi

CUSE_VM_BOOT_TIMEOUT=1 vm -- echo never
if [[ $status -eq 125 && ! -s $out ]] && grep -q CUSE_VM_BOOT_TIMEOUT "$err"; then
	pass "a boot that takes longer than CUSE_VM_BOOT_TIMEOUT fails clearly (status 125)"
else
	fail "a boot that takes longer than CUSE_VM_BOOT_TIMEOUT fails clearly (status 125)"
fi

vm --check
if [[ $status -eq 0 ]] && grep -q 'ok: /dev/cuse exists' "$err"; then
	pass "--check reports /dev/cuse"
else
	fail "--check reports /dev/cuse"
fi

# The whole chain: a CUSE server with DEVNAME=i2o/ctl and an unrestricted
# ioctl whose struct carries a user pointer.
if command -v cc >/dev/null && pkg-config --exists fuse3 2>/dev/null; then
	read -r -a fuse_flags <<<"$(pkg-config --cflags --libs fuse3)"
	if cc -Wall -Wextra -O1 -o "$work/cuse-roundtrip" "$here/cuse-roundtrip.c" "${fuse_flags[@]}" 2>"$err"; then
		vm -- sh -c '
			"$0" server i2o/ctl &
			i=0
			while [ ! -c /dev/i2o/ctl ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
			"$0" client /dev/i2o/ctl' "$work/cuse-roundtrip"
		if [[ $status -eq 0 && $(cat "$out") == $'read: hello from cuse\nioctl: I2O MESSAGE' ]]; then
			pass "a libfuse CUSE server serves /dev/i2o/ctl: read and pointer-carrying ioctl"
		else
			fail "a libfuse CUSE server serves /dev/i2o/ctl: read and pointer-carrying ioctl"
		fi
	else
		status=compile
		fail "compiling Tests/vm/cuse-roundtrip.c"
	fi
else
	echo "SKIP: CUSE round trip (no cc or no fuse3 pkg-config; apt-get install gcc libfuse3-dev pkg-config)"
fi

echo "$passed passed, $failed failed"
((failed == 0))
