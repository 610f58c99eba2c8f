/* [network]: what a cell may reach. Parsed here; enforced by the broker (net/). */
#ifndef BRIG_NET_POLICY_H
#define BRIG_NET_POLICY_H

#include <jansson.h>

#include "profile/posture.h"
#include "profile/schema.h"

enum net_mode {
	NET_HOST,     /* the host's network, unfiltered (warned about) */
	NET_NONE,     /* own network namespace with loopback only */
	NET_FILTERED, /* own namespace; every way out goes through the broker's rules */
};

struct net_policy {
	enum net_mode mode;
	char *mode_where; /* where the mode was set, for messages */
	struct pos_strv allow, deny, allow_presets, publish;
};

void net_policy_defaults(struct net_policy *np, enum posture posture);
/* t is the [network] table. Returns 0, or -1 with c->err set. */
int net_policy_parse(struct schema_ctx *c, const struct toml_table *t, struct net_policy *np);
/* `--net MODE` on the command line. Returns -1 for an unknown mode. */
int net_mode_from_string(const char *s, enum net_mode *out);
const char *net_mode_name(enum net_mode m);
json_t *net_policy_to_json(const struct net_policy *np);
void net_policy_free(struct net_policy *np);

#endif
