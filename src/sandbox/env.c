#include "sandbox/env.h"

#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"

extern char **environ;

static const char *const clean_keep[] = {"PATH", "HOME", "USER", "SHELL", "TERM", "LANG", NULL};

static size_t name_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

const char *env_get(const struct strv *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < env->n; i++)
		if (name_len(env->v[i]) == n && !strncmp(env->v[i], name, n))
			return env->v[i] + n + 1;
	return NULL;
}

void env_set(struct strv *env, const char *name, const char *value)
{
	size_t n = strlen(name);
	char *kv = xasprintf("%s=%s", name, value);
	for (size_t i = 0; i < env->n; i++)
		if (name_len(env->v[i]) == n && !strncmp(env->v[i], name, n)) {
			free(env->v[i]);
			env->v[i] = kv;
			return;
		}
	strv_push_owned(env, kv);
}

void env_build(const struct profile *p, struct strv *out)
{
	if (p->sandbox && p->clean_env) {
		for (const char *const *k = clean_keep; *k; k++) {
			const char *v = getenv(*k);
			if (v)
				env_set(out, *k, v);
		}
	} else {
		for (char **e = environ; *e; e++)
			if (strchr(*e, '='))
				strv_push(out, *e);
	}
	if (!env_get(out, "PATH"))
		env_set(out, "PATH", "/usr/local/bin:/usr/bin:/bin");
	if (p->sandbox) {
		env_set(out, "BRIG", "1");
		if (p->posture == POSTURE_PWRAP)
			env_set(out, "PROJECT_WRAP", "1");
	}
	for (size_t i = 0; i < p->env.n; i++) {
		char *kv = xstrdup(p->env.v[i]);
		char *eq = strchr(kv, '=');
		*eq = '\0';
		env_set(out, kv, eq + 1);
		free(kv);
	}
}
