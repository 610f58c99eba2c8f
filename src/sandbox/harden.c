#include "sandbox/harden.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "profile/profile.h"
#include "sandbox/plan.h"
#include "util/xalloc.h"

/* Capabilities held in the cell's user namespace would let the command mount, change the file
 * view or unshare again; root outside must not keep any inside either. */
static int drop_privileges(char **err)
{
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
					     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
					     SECBIT_NO_CAP_AMBIENT_RAISE |
					     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) < 0) {
		*err = xasprintf("cannot lock securebits: %s", strerror(errno));
		return -1;
	}
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
			*err = xasprintf("cannot drop capability %d from the bounding set: %s", cap,
					 strerror(errno));
			return -1;
		}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	if (syscall(SYS_capset, &hdr, data) < 0) {
		*err = xasprintf("cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	/* setuid binaries and file capabilities must not grant anything inside the cell. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*err = xasprintf("cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int harden_apply(const struct profile *p, const struct plan *plan, char **err)
{
	(void)p;
	(void)plan;
	return drop_privileges(err);
}

int harden_limits_attach(const struct profile *p, struct session *s, pid_t cell_pid, char **err)
{
	(void)p, (void)s, (void)cell_pid, (void)err;
	return 0;
}

void harden_plan_protect(const struct profile *p, const char *project_real, struct plan *plan)
{
	(void)p, (void)project_real, (void)plan;
}
