/* libFuzzer target for the profile loader: a TOML document through profile_parse(), with each
 * of the three postures. Beyond "no crash, no leak, no UB": a refused profile always says why,
 * and an accepted one can be shown by `brig check` (its JSON forms build). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* The first byte picks the posture and whether to build the JSON forms (which probe the
	 * kernel for Landlock and cgroups: slow, so only for some inputs). */
	enum posture posture = (enum posture)(data[0] % 3);
	int json = (data[0] & 0x30) == 0;
	struct profile p;
	memset(&p, 0, sizeof p);
	char *err = NULL;
	int rc = profile_parse((const char *)data + 1, size - 1, "fuzz.toml", posture, &p, &err);
	if (rc < 0) {
		if (!err || !*err)
			abort(); /* every refusal names a reason */
	} else if (json) {
		json_t *j = harden_policy_to_json(&p.harden);
		json_t *n = net_policy_to_json(&p.net);
		if (!j || !n)
			abort();
		char *s = json_dumps(j, 0);
		if (!s)
			abort();
		free(s);
		json_decref(j);
		json_decref(n);
	}
	free(err);
	profile_free(&p);
	return 0;
}
