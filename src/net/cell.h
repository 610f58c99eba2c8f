/* The filtered network of one cell, as seen by the launcher. Used only when [network] mode is
 * "filtered"; the launcher itself handles "none" (own netns, loopback up) and "host".
 *
 * Order of calls (launch.c):
 *   supervisor, before clone:  net_cell_new, net_cell_plan, net_cell_env
 *   pid 1 of the cell, inside its new network namespace, before pivot_root (it still holds
 *   capabilities in the cell's user namespace, and loopback is up):  net_cell_setup_inside
 *   pid 1, in its wait loop: polls net_cell_inside_fd() and calls net_cell_inside_event()
 *   supervisor, after clone:   net_cell_start_broker; at exit: net_cell_stop, net_cell_free */
#ifndef BRIG_NET_CELL_H
#define BRIG_NET_CELL_H

#include <sys/types.h>

#include "util/xalloc.h"

struct profile;
struct session;
struct plan;
struct net_cell;

struct net_cell *net_cell_new(const struct profile *p, struct session *s, char **err);
/* Adds the cell's network files to the mount plan (/etc/resolv.conf pointing at the DNS stub...). */
void net_cell_plan(struct net_cell *nc, struct plan *plan);
/* Adds HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY (and lower case) to the cell's environment. */
void net_cell_env(struct net_cell *nc, struct strv *env);
int net_cell_setup_inside(struct net_cell *nc, char **err);
int net_cell_inside_fd(struct net_cell *nc);
void net_cell_inside_event(struct net_cell *nc);
int net_cell_start_broker(struct net_cell *nc, pid_t cell_pid, char **err);
void net_cell_stop(struct net_cell *nc);
void net_cell_free(struct net_cell *nc);

struct hostrules;
/* The host rules of a profile's [network] table (allow, deny, allow_presets), for the broker and
 * for `brig check`. Returns 0, or -1 with *err. */
int net_rules_from_policy(const struct profile *p, struct hostrules *hr, char **err);

#endif
