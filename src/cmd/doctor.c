/* brig doctor: every kernel feature brig relies on, probed for real (not guessed from versions),
 * with what stops working without it and how to enable it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/landlock.h>
#include <seccomp.h>

#include "cmd/cmd.h"
#include "net/nft.h"
#include "sandbox/limits.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/xalloc.h"

static int problems;

static void report(int ok, const char *what, const char *detail, const char *fix)
{
	printf("%s %-38s %s\n", ok ? "  ok  " : "MISSING", what, detail ? detail : "");
	if (!ok) {
		problems++;
		if (fix)
			printf("        -> %s\n", fix);
	}
}

static int read_int(const char *path, long *out)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int rc = fscanf(f, "%ld", out) == 1 ? 0 : -1;
	fclose(f);
	return rc;
}

/* Runs fn in a child so that probing never changes brig's own namespaces. */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg) == 0 ? 0 : 1);
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int enter_userns(int extra)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER | extra) < 0)
		return -1;
	char map[64];
	snprintf(map, sizeof map, "%u %u 1", uid, uid);
	write_string_file("/proc/self/setgroups", "deny");
	if (write_string_file("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof map, "%u %u 1", gid, gid);
	return write_string_file("/proc/self/gid_map", map);
}

static int probe_userns(void *a)
{
	(void)a;
	return enter_userns(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP);
}

static int probe_pidns(void *a)
{
	(void)a;
	if (enter_userns(CLONE_NEWNS | CLONE_NEWPID) < 0)
		return -1;
	pid_t p = fork();
	if (p == 0) {
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
		_exit(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0 ? 0 : 1);
	}
	int st;
	return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

static int probe_overlay(void *a)
{
	(void)a;
	char tmpl[] = "/tmp/brig-doctor.XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	char *dirs[4];
	const char *names[4] = {"lower", "upper", "work", "merged"};
	for (int i = 0; i < 4; i++) {
		dirs[i] = xasprintf("%s/%s", tmpl, names[i]);
		mkdir(dirs[i], 0700);
	}
	int rc = -1;
	pid_t p = fork();
	if (p == 0) {
		if (enter_userns(CLONE_NEWNS) < 0)
			_exit(1);
		char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s,userxattr", dirs[0], dirs[1],
				       dirs[2]);
		_exit(mount("overlay", dirs[3], "overlay", 0, opts) == 0 ? 0 : 1);
	}
	int st;
	if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && !WEXITSTATUS(st))
		rc = 0;
	char *work_sub = xasprintf("%s/work/work", tmpl);
	rmdir(work_sub);
	free(work_sub);
	for (int i = 3; i >= 0; i--) {
		rmdir(dirs[i]);
		free(dirs[i]);
	}
	rmdir(tmpl);
	return rc;
}

static int probe_nft(void *a)
{
	(void)a;
	char *err = NULL;
	if (enter_userns(CLONE_NEWNET) < 0)
		return -1;
	return nft_install_capture(15001, &err);
}

static int probe_mount_api(void *a)
{
	(void)a;
	if (enter_userns(CLONE_NEWNS) < 0)
		return -1;
	int t = open_tree(AT_FDCWD, "/usr", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (t < 0)
		return -1;
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	return mount_setattr(t, "", AT_EMPTY_PATH, &attr, sizeof attr);
}

static void check_userns(void)
{
	long v;
	char detail[160] = "";
	if (read_int("/proc/sys/kernel/unprivileged_userns_clone", &v) == 0 && v == 0)
		snprintf(detail, sizeof detail, "kernel.unprivileged_userns_clone = 0");
	if (read_int("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", &v) == 0 && v == 1)
		snprintf(detail, sizeof detail, "AppArmor restricts unprivileged user namespaces");
	if (read_int("/proc/sys/user/max_user_namespaces", &v) == 0 && v == 0)
		snprintf(detail, sizeof detail, "user.max_user_namespaces = 0");
	int ok = in_child(probe_userns, NULL) == 0;
	report(ok, "user, mount, ipc, uts, cgroup namespaces", ok ? "" : detail,
	       "brig cannot create any cell. Enable with: sysctl kernel.unprivileged_userns_clone=1 "
	       "(Debian), sysctl user.max_user_namespaces=15000, or on Ubuntu 24.04+: sysctl "
	       "kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for brig)");
	ok = in_child(probe_pidns, NULL) == 0;
	report(ok, "pid namespace with its own /proc", NULL,
	       "cells cannot hide the host's processes; needs CONFIG_PID_NS and procfs not fully "
	       "covered on the host (containers with masked /proc subpaths block it)");
}

static void check_landlock(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	char detail[96];
	if (abi > 0)
		snprintf(detail, sizeof detail,
			 "ABI %ld (fs%s%s%s)", abi, abi >= 4 ? ", tcp" : "",
			 abi >= 6 ? ", scoped signals and abstract sockets" : "", abi >= 5 ? ", ioctl" : "");
	else
		snprintf(detail, sizeof detail, "%s", strerror(errno));
	report(abi > 0, "Landlock", detail,
	       "the second file-access layer is off; boot with lsm=...,landlock (CONFIG_SECURITY_LANDLOCK, "
	       "Linux 5.13+; TCP rules need 6.7+, scoping 6.12+)");
}

static void check_seccomp(void)
{
	const struct scmp_version *v = seccomp_version();
	char detail[96];
	int ok = prctl(PR_GET_SECCOMP) >= 0 && access("/proc/sys/kernel/seccomp/actions_avail", R_OK) == 0;
	snprintf(detail, sizeof detail, "libseccomp %u.%u.%u", v->major, v->minor, v->micro);
	report(ok, "seccomp filters", detail, "the syscall filter cannot be applied; needs CONFIG_SECCOMP_FILTER");
}

static void check_cgroup(void)
{
	struct limits_probe pr;
	limits_probe(&pr);
	char detail[600] = "";
	if (pr.mount)
		snprintf(detail, sizeof detail, "mounted at %s", pr.mount);
	report(pr.mount != NULL, "cgroup v2", detail,
	       "memory, pids and cpu limits fall back to rlimits; boot with "
	       "systemd.unified_cgroup_hierarchy=1");
	if (pr.mount) {
		snprintf(detail, sizeof detail, "%s", pr.delegated ? pr.parent : pr.why);
		report(pr.delegated, "cgroup v2 delegation (memory, pids)", detail,
		       limits_delegation_help());
	}
	limits_probe_free(&pr);
}

int cmd_doctor(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		printf("usage: brig doctor\n");
		return 2;
	}
	printf("brig doctor: the kernel features brig uses\n\n");
	check_userns();
	int ok = in_child(probe_mount_api, NULL) == 0;
	report(ok, "new mount API in a user namespace", NULL,
	       "brig needs open_tree/move_mount/mount_setattr (Linux 5.12+)");
	ok = in_child(probe_overlay, NULL) == 0;
	report(ok, "overlayfs in a user namespace", NULL,
	       "gated sessions (--gated, the agent preset's default) cannot start; needs Linux 5.11+ "
	       "with overlay (modprobe overlay); use --direct meanwhile");
	check_landlock();
	check_seccomp();
	check_cgroup();
	ok = in_child(probe_nft, NULL) == 0;
	report(ok, "nftables in a cell's network namespace", NULL,
	       "filtered mode cannot start: it captures connections that ignore proxy variables "
	       "with nf_tables (CONFIG_NF_TABLES, nft_redir, nf_nat; modprobe nf_tables)");
	long tiocsti;
	if (read_int("/proc/sys/dev/tty/legacy_tiocsti", &tiocsti) == 0)
		report(1, "TIOCSTI", tiocsti ? "legacy TIOCSTI on (brig's own pty keeps it harmless)"
					      : "disabled by the kernel", NULL);
	printf("\n%s\n", problems ? "some features are missing: see the lines marked MISSING"
				  : "everything brig uses is available");
	return problems ? 1 : 0;
}
