/* Named host lists a profile can include: [network] allow_presets = ["npm", "github"]. The lists
 * are data (data/net-presets/NAME.txt), compiled in. */
#ifndef BRIG_NET_PRESETS_H
#define BRIG_NET_PRESETS_H

struct hostrules;

struct net_preset {
	const char *name;
	const char *rules; /* newline-separated host rules */
};
extern const struct net_preset net_presets[]; /* ends with a NULL name */

/* Adds the allow rules of preset name. Returns 0, or -1 with *err naming the known presets. */
int net_preset_add(struct hostrules *hr, const char *name, const char *where, char **err);
const struct net_preset *net_preset_find(const char *name);

#endif
