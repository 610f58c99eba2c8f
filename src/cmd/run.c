#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/profile_args.h"
#include "gate/gate.h"
#include "profile/profile.h"
#include "sandbox/command.h"
#include "sandbox/env.h"
#include "sandbox/launch.h"
#include "sandbox/view.h"
#include "session/session.h"
#include "util/log.h"

static void usage(FILE *out, const char *cmd)
{
	fprintf(out,
		"usage: brig %s [NAME | --profile FILE | --preset agent|shell] [options] [--] [CMD ARGS...]\n"
		"\n"
		"Runs CMD (default: the profile's command, else its shell) in a cell. NAME is a profile\n"
		"in ~/.config/brig/NAME/ or ~/.config/pwrap/NAME/; with none, the built-in 'agent' preset\n"
		"uses the current directory as the project. Without '--', the first word is a profile\n"
		"name only when such a profile exists.\n"
		"\n"
		"options:\n"
		"  --profile FILE     read this profile file\n"
		"  --preset NAME      start from a built-in preset: agent (default), shell\n"
		"  -C, --project DIR  the project directory (presets only; default: current directory)\n"
		"  --net MODE         none, filtered or host (overrides [network] mode)\n"
		"  --publish PORT     make the cell's 127.0.0.1:PORT reachable on the host's loopback\n"
		"  --gated            changes wait in the session for 'brig review' / 'brig apply'\n"
		"  --direct           changes go straight to the project\n"
		"  -q, --quiet        no informational messages from brig\n"
		"\n"
		"exit status: the command's; 125 when brig fails, 126/127 when the command cannot run\n"
		"or is not found.\n",
		cmd);
}

/* The mount view as the audit log keeps it: one "kind path" string per step. */
static json_t *view_json(const struct plan *pl)
{
	json_t *a = json_array();
	for (size_t i = 0; i < pl->n; i++)
		json_array_append_new(a, json_sprintf("%s %s", plan_kind_name(pl->e[i].kind),
						      pl->e[i].dst));
	return a;
}

static int run_profile(struct profile *p, char **args, size_t nargs)
{
	struct session s = {.events_fd = -1};
	struct view v = {0};
	struct launch l = {.p = p, .view = &v, .session = &s};
	char *err = NULL;
	int status = BRIG_EXIT_FAIL;

	if (!p->sandbox) {
		v.project = realpath(p->project_dir, NULL);
		if (!v.project) {
			log_err("project directory %s: %s", p->project_dir, strerror(errno));
			goto out;
		}
		env_build(p, &l.env);
		command_build(p, NULL, v.project, args, nargs, &l.argv);
		if (!l.argv.n)
			strv_push(&l.argv, p->shell);
		status = launch_unsandboxed(&l);
		goto out;
	}
	if (session_create(p, &s, &err) < 0 || view_build(p, &s, &v, &err) < 0 ||
	    view_check_profile_safe(p, &v, &err) < 0)
		goto out;
	env_build(p, &l.env);
	command_build(p, v.init_script, v.workdir, args, nargs, &l.argv);
	if (!l.argv.n)
		strv_push(&l.argv, p->shell);
	session_event(&s, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "event", "start", "profile",
				    p->name, "project", v.project, "network", net_mode_name(p->net.mode),
				    "review", p->review.gated ? "gated" : "direct", "view",
				    view_json(&v.plan)));
	status = launch_run(&l);
	session_event(&s, json_pack("{s:s, s:i}", "event", "exit", "status", status));
	session_finish(&s, status);
	if (p->review.gated)
		gate_after_exit(p, &s, status);
out:
	if (err) {
		log_err("%s", err);
		free(err);
	}
	strv_free(&l.argv);
	strv_free(&l.env);
	view_free(&v);
	if (s.dir)
		session_close(&s);
	return status;
}

static int run_main(int argc, char **argv, int shell_only)
{
	struct profile_args pa;
	profile_args_init(&pa);
	static const struct option opts[] = {
		PROFILE_ARGS_OPTIONS,
		{"net", required_argument, NULL, 'n'},
		{"publish", required_argument, NULL, 'P'},
		{"gated", no_argument, NULL, 'g'},
		{"direct", no_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *net = NULL;
	int gated = -1;
	struct strv publish = {0};
	int c, rest;
	/* '+': stop at the first non-option, so the command's own options stay its own. A profile
	 * NAME may stand before brig's options ("brig run okb --net none -- make"), so parsing
	 * resumes once after it. */
	for (;;) {
		while ((c = getopt_long(argc, argv, "+C:qh", opts, NULL)) != -1) {
			if (profile_args_option(&pa, c, optarg))
				continue;
			switch (c) {
			case 'n':
				net = optarg;
				break;
			case 'P':
				strv_push(&publish, optarg);
				break;
			case 'g':
				gated = 1;
				break;
			case 'd':
				gated = 0;
				break;
			case 'q':
				log_set_quiet(1);
				break;
			case 'h':
				usage(stdout, argv[0]);
				strv_free(&publish);
				return 0;
			default:
				usage(stderr, argv[0]);
				strv_free(&publish);
				return BRIG_EXIT_FAIL;
			}
		}
		rest = optind;
		int dashdash = rest > 1 && !strcmp(argv[rest - 1], "--");
		if (dashdash || rest >= argc || pa.file || pa.preset || pa.name)
			break;
		/* A word before '--' names a profile only when that profile exists; otherwise it
		 * is the command ("brig run make test"). */
		if (!profile_args_name_exists(argv[rest]) && !shell_only)
			break;
		pa.name = argv[rest];
		optind = rest + 1;
	}
	if (shell_only && rest < argc) {
		log_err("brig shell takes no command; use 'brig run NAME -- CMD'");
		return BRIG_EXIT_FAIL;
	}
	struct profile p = {0};
	char *err = NULL;
	if (profile_args_load(&pa, &p, &err) < 0) {
		log_err("%s", err);
		free(err);
		profile_free(&p);
		strv_free(&publish);
		return BRIG_EXIT_FAIL;
	}
	if (net && net_mode_from_string(net, &p.net.mode) < 0) {
		log_err("--net %s: unknown mode (none, filtered, host)", net);
		profile_free(&p);
		strv_free(&publish);
		return BRIG_EXIT_FAIL;
	}
	if (net) {
		free(p.net.mode_where);
		p.net.mode_where = xstrdup("--net");
	}
	for (size_t i = 0; i < publish.n; i++)
		pos_strv_push(&p.net.publish, publish.v[i], (struct toml_pos){0, 0});
	strv_free(&publish);
	if (gated >= 0)
		p.review.gated = gated;
	int status = run_profile(&p, argv + rest, (size_t)(argc - rest));
	profile_free(&p);
	return status;
}

int cmd_run(int argc, char **argv) { return run_main(argc, argv, 0); }
int cmd_shell(int argc, char **argv) { return run_main(argc, argv, 1); }
