/* Unit tests of sessions: creation, metadata updates, lookup by id, prefix and project. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "profile/profile.h"
#include "session/session.h"
#include "util/xalloc.h"

static char root[] = "/tmp/brig-test-session-XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	setenv("XDG_STATE_HOME", root, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", root);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void create_and_update(void **state)
{
	(void)state;
	struct profile p = {0};
	p.name = "t";
	p.source = "test";
	p.project_dir = "/srv/proj";
	struct session s;
	char *err = NULL;
	assert_int_equal(session_create(&p, &s, &err), 0);
	assert_non_null(s.id);
	json_t *meta = session_meta_load(s.dir, &err);
	assert_non_null(meta);
	assert_string_equal(json_string_value(json_object_get(meta, "state")), "running");
	char *ns = session_userns_id();
	assert_non_null(ns);
	assert_string_equal(json_string_value(json_object_get(meta, "host_userns")), ns);
	free(ns);
	assert_true(session_running(meta));
	json_decref(meta);

	/* Not gated yet: the project lookup must not find it. */
	assert_null(session_find(NULL, "/srv/proj/sub", &err));
	free(err);
	err = NULL;
	assert_int_equal(session_meta_set(s.dir, json_pack("{s:b, s:s}", "gated", 1, "project_real",
							    "/srv/proj")),
			 0);
	session_finish(&s, 3);
	meta = session_meta_load(s.dir, &err);
	assert_string_equal(json_string_value(json_object_get(meta, "state")), "exited");
	assert_int_equal(json_integer_value(json_object_get(meta, "exit_status")), 3);
	assert_true(json_is_true(json_object_get(meta, "gated")));
	assert_false(session_running(meta));
	json_decref(meta);

	char *dir = session_find(NULL, "/srv/proj/sub", &err);
	assert_non_null(dir);
	assert_string_equal(dir, s.dir);
	free(dir);
	assert_null(session_find(NULL, "/srv/project-other", &err));
	free(err);
	err = NULL;
	char prefix[16];
	snprintf(prefix, sizeof prefix, "%.15s", s.id);
	dir = session_find(prefix, NULL, &err);
	assert_non_null(dir);
	free(dir);
	assert_null(session_find("../x", NULL, &err));
	free(err);
	session_close(&s);
}

static void list_sorted(void **state)
{
	(void)state;
	struct profile p = {0};
	p.name = "t";
	p.source = "test";
	struct session a, b;
	char *err = NULL;
	assert_int_equal(session_create(&p, &a, &err), 0);
	assert_int_equal(session_create(&p, &b, &err), 0);
	struct strv ids = {0};
	assert_int_equal(session_list(&ids, &err), 0);
	assert_true(ids.n >= 2);
	for (size_t i = 1; i < ids.n; i++)
		assert_true(strcmp(ids.v[i - 1], ids.v[i]) < 0);
	strv_free(&ids);
	session_close(&a);
	session_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_and_update),
		cmocka_unit_test(list_sorted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
