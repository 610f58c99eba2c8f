/* Placeholder until the broker lands: filtered mode refuses instead of running unfiltered. */
#include "net/cell.h"

#include <stddef.h>

struct net_cell {
	int unused;
};

struct net_cell *net_cell_new(const struct profile *p, struct session *s, char **err)
{
	(void)p;
	(void)s;
	*err = xstrdup("[network] mode \"filtered\" is not available in this build yet; use "
		       "--net none or --net host");
	return NULL;
}
void net_cell_plan(struct net_cell *nc, struct plan *plan) { (void)nc, (void)plan; }
void net_cell_env(struct net_cell *nc, struct strv *env) { (void)nc, (void)env; }
int net_cell_setup_inside(struct net_cell *nc, char **err) { (void)nc, (void)err; return -1; }
int net_cell_inside_fd(struct net_cell *nc) { (void)nc; return -1; }
void net_cell_inside_event(struct net_cell *nc) { (void)nc; }
int net_cell_start_broker(struct net_cell *nc, pid_t pid, char **err) { (void)nc, (void)pid, (void)err; return -1; }
void net_cell_stop(struct net_cell *nc) { (void)nc; }
void net_cell_free(struct net_cell *nc) { (void)nc; }
