#!/usr/bin/env bats
# Kernel interfaces the seccomp filter closes, each tried by tests/escape/attack.c inside a cell.
# The expected errno is the filter's own answer: where the kernel alone would answer differently
# (ENOTTY for TIOCLINUX on /dev/null, EINVAL for a zeroed bpf attribute), the test shows the
# filter decided.

load harden_helpers

setup_file() { attack_build; }
setup() { escape_setup; }
teardown() { escape_teardown; }

@test "[CVE-2017-5226 TIOCSTI] typing into the terminal is refused" {
	attack tiocsti
	[ "$(last)" = errno=EPERM ]
}

@test "[CVE-2017-5226 TIOCSTI 64-bit] garbage in the upper 32 bits of the request does not slip past" {
	attack tiocsti-wide
	[ "$(last)" = errno=EPERM ]
}

@test "[TIOCLINUX] console paste-buffer injection is refused" {
	attack tioclinux
	[ "$(last)" = errno=EPERM ]
}

@test "[TIOCLINUX 64-bit] the 64-bit request variant is refused too" {
	attack tioclinux-wide
	[ "$(last)" = errno=EPERM ]
}

@test "[ptrace sibling] PTRACE_ATTACH to another process of the cell is refused" {
	in_cell 'sleep 30 & ./attack ptrace-attach $!; kill $!'
	[[ "$output" == *errno=EPERM* ]]
}

@test "[ptrace sibling seize] PTRACE_SEIZE is refused" {
	in_cell 'sleep 30 & ./attack ptrace-seize $!; kill $!'
	[[ "$output" == *errno=EPERM* ]]
}

@test "[process_vm_readv] reading a sibling's memory is refused" {
	in_cell 'sleep 30 & ./attack vm-read $!; kill $!'
	[[ "$output" == *errno=EPERM* ]]
}

@test "[/proc/PID/mem] writing a sibling's memory through /proc is refused" {
	in_cell 'sleep 30 & ./attack proc-mem-write $!; kill $!'
	[[ "$output" == *errno=EACCES* ]] || [[ "$output" == *errno=EPERM* ]]
}

@test "[keyring keyctl] the session keyring cannot be read" {
	attack keyctl-session
	[ "$(last)" = errno=EPERM ]
}

@test "[keyring add_key] keys cannot be planted" {
	attack add-key
	[ "$(last)" = errno=EPERM ]
}

@test "[keyring request_key] keys cannot be requested (upcalls run as root)" {
	attack request-key
	[ "$(last)" = errno=EPERM ]
}

@test "[io_uring CVE-2022-29582] io_uring cannot be set up" {
	attack io-uring
	[ "$(last)" = errno=EPERM ]
}

@test "[bpf CVE-2021-3490] eBPF programs cannot be loaded" {
	attack bpf
	[ "$(last)" = errno=EPERM ]
}

@test "[perf CVE-2013-2094] perf_event_open is refused" {
	attack perf
	[ "$(last)" = errno=EPERM ]
}

@test "[userfaultfd] userfaultfd is refused (exploit race widening)" {
	attack userfaultfd
	[ "$(last)" = errno=EPERM ]
}

@test "[userns CVE-2022-0185] a nested user namespace cannot be created with unshare" {
	attack unshare-user
	[ "$(last)" = errno=EPERM ]
	in_cell 'unshare -r id || echo refused'
	[ "$(last)" = refused ]
}

@test "[userns clone] clone(CLONE_NEWUSER) is refused" {
	attack clone-newuser
	[ "$(last)" = errno=EPERM ]
}

@test "[userns clone3] clone3 answers ENOSYS so libc falls back to a checked clone" {
	attack clone3
	[ "$(last)" = errno=ENOSYS ]
	in_cell 'sh -c "echo child-ran" & wait'
	[ "$(last)" = child-ran ]
}

@test "[mountns] a new mount namespace cannot be created" {
	attack unshare-mount
	[ "$(last)" = errno=EPERM ]
}

@test "[netns] a new network namespace cannot be created" {
	attack unshare-net
	[ "$(last)" = errno=EPERM ]
}

@test "[pidns] a new pid namespace cannot be created" {
	attack unshare-pid
	[ "$(last)" = errno=EPERM ]
}

@test "[remount] /usr cannot be remounted read-write" {
	attack remount-rw /usr
	[ "$(last)" = errno=EPERM ]
}

@test "[mount] a tmpfs cannot be mounted over the view" {
	attack mount-tmpfs /tmp
	[ "$(last)" = errno=EPERM ]
}

@test "[umount] the tmpfs hiding root's home cannot be unmounted to reveal it" {
	attack umount /root
	[ "$(last)" = errno=EPERM ]
}

@test "[umount protected] the read-only bind over .git/config cannot be unmounted" {
	git -C "$P" init -q
	attack umount "$P/.git/config"
	[ "$(last)" = errno=EPERM ]
}

@test "[new-mount-api fsopen] fsopen answers ENOSYS" {
	attack fsopen
	[ "$(last)" = errno=ENOSYS ]
}

@test "[new-mount-api open_tree] open_tree answers ENOSYS" {
	attack open-tree /usr
	[ "$(last)" = errno=ENOSYS ]
}

@test "[new-mount-api move_mount] move_mount answers ENOSYS" {
	attack move-mount /usr
	[ "$(last)" = errno=ENOSYS ]
}

@test "[new-mount-api mount_setattr] clearing read-only with mount_setattr answers ENOSYS" {
	attack mount-setattr /usr
	[ "$(last)" = errno=ENOSYS ]
}

@test "[chroot] chroot is refused" {
	attack chroot /tmp
	[ "$(last)" = errno=EPERM ]
}

@test "[pivot_root] pivot_root is refused" {
	attack pivot-root
	[ "$(last)" = errno=EPERM ]
}

@test "[setns] entering any namespace is refused" {
	attack setns /proc/self/ns/user
	[ "$(last)" = errno=EPERM ]
}

@test "[x32 entry] a syscall through the x32 ABI kills the process" {
	attack x32
	[ "$status" -eq $((128 + 31)) ]
	[[ "$output" != *"not blocked"* ]]
}

@test "[i386 entry] int 0x80 (the 32-bit syscall table) kills the process" {
	attack i386
	[ "$status" -eq $((128 + 31)) ]
	[[ "$output" != *"not blocked"* ]]
}

@test "[AF_PACKET CVE-2020-14386] packet sockets are refused" {
	attack socket packet
	[ "$(last)" = errno=EAFNOSUPPORT ]
}

@test "[AF_ALG] kernel crypto sockets are refused" {
	attack socket alg
	[ "$(last)" = errno=EAFNOSUPPORT ]
}

@test "[AF_VSOCK CVE-2021-26708] vsock sockets are refused" {
	attack socket vsock
	[ "$(last)" = errno=EAFNOSUPPORT ]
}

@test "[AF_NETLINK] audit and netfilter netlink sockets are refused" {
	attack socket netlink-audit
	[ "$(last)" = errno=EPROTONOSUPPORT ]
	attack socket netlink-netfilter
	[ "$(last)" = errno=EPROTONOSUPPORT ]
}

@test "[socket 64-bit family] a family with upper bits set is refused" {
	attack socket inet-highbits
	[ "$(last)" = errno=EAFNOSUPPORT ]
}

@test "[personality ASLR] turning address randomisation off is refused" {
	attack personality
	[ "$(last)" = errno=EPERM ]
	in_cell 'setarch -R true || echo refused'
	[ "$(last)" = refused ]
}

@test "[shocker open_by_handle_at] opening inodes by handle is refused" {
	attack open-by-handle
	[ "$(last)" = errno=EPERM ]
	attack name-to-handle
	[ "$(last)" = errno=EPERM ]
}

@test "[kernel-modules] init_module is refused" {
	attack init-module
	[ "$(last)" = errno=EPERM ]
}

@test "[kexec] kexec_load is refused" {
	attack kexec
	[ "$(last)" = errno=EPERM ]
}

@test "[reboot] reboot is refused" {
	attack reboot
	[ "$(last)" = errno=EPERM ]
}

@test "[syslog] the kernel log (addresses for exploits) cannot be read" {
	attack syslog
	[ "$(last)" = errno=EPERM ]
}
