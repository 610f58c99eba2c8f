#include "sandbox/privs.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/xalloc.h"

/* Capabilities held in the cell's user namespace would let the command mount, change the file
 * view or unshare again; root outside must not keep any inside either. */
static int lock_securebits(char **err)
{
	/* NOROOT: uid 0 gets no capabilities at exec; NO_SETUID_FIXUP: a setuid to 0 grants none;
	 * NO_CAP_AMBIENT_RAISE: the ambient set stays empty. Each locked against a later change. */
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
					     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
					     SECBIT_NO_CAP_AMBIENT_RAISE |
					     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) < 0) {
		*err = xasprintf("cannot lock securebits: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int drop_caps(char **err)
{
	/* The bounding set limits what any later exec (setuid root, file caps) could gain. */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
			*err = xasprintf("cannot drop capability %d from the bounding set: %s", cap,
					 strerror(errno));
			return -1;
		}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		*err = xasprintf("cannot clear the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	if (syscall(SYS_capset, &hdr, data) < 0) {
		*err = xasprintf("cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads the sets back: a kernel or a seccomp filter of an outer manager could make a call
 * "succeed" without effect, and this layer must not be assumed. */
static int verify(char **err)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0 || data[0].effective || data[0].permitted ||
	    data[0].inheritable || data[1].effective || data[1].permitted || data[1].inheritable) {
		*err = xasprintf("capabilities are still held after dropping them");
		return -1;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		*err = xasprintf("no_new_privs is not set after setting it");
		return -1;
	}
	return 0;
}

int privs_drop(char **err)
{
	if (lock_securebits(err) < 0 || drop_caps(err) < 0)
		return -1;
	/* setuid binaries and file capabilities must not grant anything inside the cell. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*err = xasprintf("cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	return verify(err);
}
