#include "sandbox/command.h"

#include <string.h>

#include "profile/profile.h"

char *shell_quote(const char *s)
{
	size_t n = 2;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *out = xmalloc(n + 1), *o = out;
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

void command_build(const struct profile *p, const char *init_script, const char *workdir,
		   char **args, size_t nargs, struct strv *out)
{
	if (!nargs && p->command.n) {
		args = p->command.v;
		nargs = p->command.n;
	}
	int fish = !strcmp(base_name(p->shell), "fish");
	if (nargs) {
		if (!init_script) {
			for (size_t i = 0; i < nargs; i++)
				strv_push(out, args[i]);
			return;
		}
		/* The command's words travel as positional parameters, never spliced into the
		 * script text: no quoting mistake can turn an argument into shell code. */
		int fish_init = fish && strstr(init_script, ".fish");
		strv_push(out, fish_init || !fish ? p->shell : "/bin/sh");
		strv_push(out, "-c");
		strv_push(out, fish_init ? "source $argv[1]; and exec $argv[2..-1]"
					 : ". \"$0\" && exec \"$@\"");
		strv_push(out, init_script);
		for (size_t i = 0; i < nargs; i++)
			strv_push(out, args[i]);
		return;
	}
	char *qdir = shell_quote(workdir);
	char *qinit = init_script ? shell_quote(init_script) : NULL;
	strv_push(out, p->shell);
	if (fish) {
		strv_push(out, "--init-command");
		strv_push_owned(out, qinit ? xasprintf("cd %s; source %s", qdir, qinit)
					   : xasprintf("cd %s", qdir));
	} else if (qinit) {
		char *qshell = shell_quote(p->shell);
		strv_push(out, "-c");
		strv_push_owned(out, xasprintf("cd %s && . %s; exec %s", qdir, qinit, qshell));
		free(qshell);
	}
	free(qdir);
	free(qinit);
}
