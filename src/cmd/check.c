/* brig check: the effective policy of a profile, every mount, namespace and variable. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/profile_args.h"
#include "profile/profile.h"
#include "sandbox/env.h"
#include "sandbox/view.h"
#include "util/json_strv.h"
#include "util/log.h"

static const char *posture_name(enum posture p)
{
	return p == POSTURE_AGENT ? "agent" : p == POSTURE_SHELL ? "shell" : "pwrap";
}

static json_t *namespaces_json(const struct profile *p)
{
	json_t *a = json_array();
	const char *always[] = {"user", "mount", "ipc", "uts", "cgroup"};
	for (size_t i = 0; i < 5; i++)
		json_array_append_new(a, json_string(always[i]));
	if (p->unshare_pid)
		json_array_append_new(a, json_string("pid"));
	if (p->net.mode != NET_HOST)
		json_array_append_new(a, json_string("net"));
	return a;
}

static json_t *mounts_json(const struct plan *pl)
{
	json_t *a = json_array();
	for (size_t i = 0; i < pl->n; i++) {
		const struct plan_entry *e = &pl->e[i];
		json_t *m = json_pack("{s:s, s:s, s:s}", "kind", plan_kind_name(e->kind), "path", e->dst,
				      "why", e->why);
		if (e->data && (e->kind == PLAN_TMPFS || e->kind == PLAN_TMPFS_RO))
			json_object_set_new(m, "size", json_string(e->data));
		if (e->src)
			json_object_set_new(m, e->kind == PLAN_SYMLINK ? "target" : "source",
					    json_string(e->src));
		json_array_append_new(a, m);
	}
	return a;
}

/* Values set by [env] may be credentials: shown as names only, as pwrap's verbose mode does. */
static json_t *env_json(const struct profile *p, const struct strv *env)
{
	json_t *o = json_object();
	for (size_t i = 0; i < env->n; i++) {
		char *kv = xstrdup(env->v[i]);
		char *eq = strchr(kv, '=');
		*eq = '\0';
		int from_profile = 0;
		for (size_t j = 0; j < p->env.n; j++)
			if (!strncmp(p->env.v[j], kv, strlen(kv)) && p->env.v[j][strlen(kv)] == '=')
				from_profile = 1;
		json_object_set_new(o, kv, json_string(from_profile ? "(set by [env]; value hidden)"
								    : eq + 1));
		free(kv);
	}
	return o;
}

static json_t *policy_json(const struct profile *p, const struct view *v, const struct strv *env)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:b}", "profile", p->name, "source", p->source,
			      "posture", posture_name(p->posture), "sandbox", p->sandbox);
	json_object_set_new(j, "project",
			    json_pack("{s:s, s:s, s:s, s:o}", "name", p->project_name, "dir",
				      v->project ? v->project : p->project_dir, "shell", p->shell,
				      "command", json_from_strv(&p->command)));
	if (!p->sandbox) {
		json_object_set_new(j, "warning",
				    json_string("[sandbox] enabled = false: the command runs "
						"unconfined"));
		return j;
	}
	json_object_set_new(j, "namespaces", namespaces_json(p));
	json_object_set_new(j, "terminal",
			    json_string(p->new_session == 0 ? "the user's terminal (new_session = false)"
							    : "own pty, new session (TIOCSTI-safe)"));
	json_object_set_new(j, "mounts", mounts_json(&v->plan));
	json_object_set_new(j, "workdir", json_string(v->workdir));
	if (v->init_script)
		json_object_set_new(j, "init_script", json_string(v->init_script));
	json_object_set_new(j, "env", env_json(p, env));
	json_object_set_new(j, "network", net_policy_to_json(&p->net));
	json_object_set_new(j, "hardening", harden_policy_to_json(&p->harden));
	json_object_set_new(j, "review", review_policy_to_json(&p->review));
	return j;
}

static void print_value(const char *key, json_t *v, int indent)
{
	if (json_is_object(v)) {
		printf("%*s%s:\n", indent, "", key);
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) print_value(k, x, indent + 2);
	} else if (json_is_array(v)) {
		printf("%*s%s:%s\n", indent, "", key, json_array_size(v) ? "" : " (none)");
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			if (json_is_object(x)) {
				char *line = json_dumps(x, JSON_COMPACT | JSON_PRESERVE_ORDER);
				printf("%*s- %s\n", indent + 2, "", line);
				free(line);
			} else {
				char *s = json_dumps(x, JSON_ENCODE_ANY);
				printf("%*s- %s\n", indent + 2, "", json_is_string(x) ? json_string_value(x) : s);
				free(s);
			}
		}
	} else if (json_is_string(v)) {
		printf("%*s%s: %s\n", indent, "", key, json_string_value(v));
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		printf("%*s%s: %s\n", indent, "", key, s);
		free(s);
	}
}

static void print_mounts(json_t *mounts)
{
	printf("mounts (in order; later steps cover earlier ones):\n");
	size_t i;
	json_t *m;
	json_array_foreach(mounts, i, m)
	{
		const char *src = json_string_value(json_object_get(m, "source"));
		const char *tgt = json_string_value(json_object_get(m, "target"));
		printf("  %-9s %s", json_string_value(json_object_get(m, "kind")),
		       json_string_value(json_object_get(m, "path")));
		if (src && strcmp(src, json_string_value(json_object_get(m, "path"))))
			printf(" <- %s", src);
		if (tgt)
			printf(" -> %s", tgt);
		printf("   [%s]\n", json_string_value(json_object_get(m, "why")));
	}
}

int cmd_check(int argc, char **argv)
{
	struct profile_args pa;
	profile_args_init(&pa);
	static const struct option opts[] = {PROFILE_ARGS_OPTIONS,
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	int json = 0, c;
	while ((c = getopt_long(argc, argv, "C:h", opts, NULL)) != -1) {
		if (profile_args_option(&pa, c, optarg))
			continue;
		if (c == 'j')
			json = 1;
		else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: brig check [NAME | --profile FILE | --preset NAME] [-C DIR] [--json]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind < argc)
		pa.name = argv[optind++];
	if (optind < argc) {
		log_err("brig check takes one profile name");
		return 2;
	}
	struct profile p = {0};
	struct view v = {0};
	struct strv env = {0};
	char *err = NULL;
	int rc = BRIG_EXIT_FAIL;
	if (profile_args_load(&pa, &p, &err) < 0)
		goto out;
	if (p.sandbox && (view_build(&p, NULL, &v, &err) < 0 || view_check_profile_safe(&p, &v, &err) < 0))
		goto out;
	env_build(&p, &env);
	json_t *j = policy_json(&p, &v, &env);
	if (json) {
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		const char *k;
		json_t *x;
		json_object_foreach(j, k, x)
		{
			if (!strcmp(k, "mounts"))
				print_mounts(x);
			else
				print_value(k, x, 0);
		}
	}
	json_decref(j);
	rc = 0;
out:
	if (err) {
		log_err("%s", err);
		free(err);
	}
	strv_free(&env);
	view_free(&v);
	profile_free(&p);
	return rc;
}
