/* Messages are cut at their buffer's end rather than grown: a cut message still names the host. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include "net/judge.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "session/session.h"

static const char *profile_name(const struct judge_ctx *jc)
{
	return jc->rules->profile && jc->rules->profile[0] ? jc->rules->profile : "your profile";
}

static void refuse_by_deny(const struct judge_ctx *jc, struct judgment *j)
{
	snprintf(j->why, sizeof j->why,
		 "refused %s:%d: denied by deny rule \"%s\" (%s); deny wins over allow, so remove "
		 "that deny entry from [network] in %s to allow it",
		 j->host, j->port, j->rule->text, j->rule->where, profile_name(jc));
}

void judge_target(const struct judge_ctx *jc, const char *host, int family, const uint8_t *addr,
		  int port, struct judgment *j)
{
	memset(j, 0, sizeof *j);
	j->port = port;
	snprintf(j->host, sizeof j->host, "%s", host);
	if (family == AF_INET && jc->pool) {
		const char *name = dns_pool_name(jc->pool, addr);
		if (name) { /* an address our DNS stub handed out: judge the name it stands for */
			snprintf(j->host, sizeof j->host, "%s", name);
			family = 0;
		}
	}
	if (family) {
		j->family = family;
		memcpy(j->addr, addr, family == AF_INET ? 4 : 16);
		enum verdict v = hostrules_match_addr(jc->rules, family, addr, port, &j->rule);
		if (v == VERDICT_DENY) {
			refuse_by_deny(jc, j);
			return;
		}
		if (v == VERDICT_NONE) {
			snprintf(j->why, sizeof j->why,
				 "refused %s%s%s:%d: IP addresses are reached only through an explicit "
				 "address rule; to allow it add to [network] in %s:  allow = [\"%s/%d:%d\"]",
				 family == AF_INET6 ? "[" : "", j->host, family == AF_INET6 ? "]" : "",
				 port, profile_name(jc), j->host, family == AF_INET ? 32 : 128, port);
			return;
		}
		j->allow = true;
		return;
	}
	enum verdict v = hostrules_match_name(jc->rules, j->host, port, &j->rule);
	if (v == VERDICT_DENY) {
		refuse_by_deny(jc, j);
		return;
	}
	if (v == VERDICT_NONE) {
		snprintf(j->why, sizeof j->why,
			 "refused %s:%d: no allow rule matches it; to allow it add to [network] in %s:  "
			 "allow = [\"%s:%d\"]",
			 j->host, port, profile_name(jc), j->host, port);
		return;
	}
	j->allow = true;
	j->by_name = true;
}

static bool is_self(const struct judge_ctx *jc, int family, const uint8_t *a)
{
	for (size_t i = 0; i < jc->nself; i++)
		if (jc->self[i].family == family &&
		    !memcmp(jc->self[i].addr, a, family == AF_INET ? 4 : 16))
			return true;
	return false;
}

int judge_addresses(const struct judge_ctx *jc, struct judgment *j, struct sockaddr_storage *sa,
		    int n)
{
	int kept = 0;
	char first_bad[INET6_ADDRSTRLEN + 40] = "";
	for (int i = 0; i < n; i++) {
		int fam = sa[i].ss_family;
		const uint8_t *a = fam == AF_INET ? (const uint8_t *)&((struct sockaddr_in *)&sa[i])->sin_addr
						  : (const uint8_t *)&((struct sockaddr_in6 *)&sa[i])->sin6_addr;
		const struct hostrule *r;
		enum verdict v = hostrules_match_addr(jc->rules, fam, a, j->port, &r);
		enum addr_class cls = addr_classify(fam, a);
		if (cls == ADDR_PUBLIC && is_self(jc, fam, a))
			cls = ADDR_SELF;
		/* DNS rebinding: an allowed name that resolves to loopback, the metadata service or
		 * the LAN would turn a name rule into access to things the user never named. */
		bool ok = v == VERDICT_ALLOW || (v == VERDICT_NONE && cls == ADDR_PUBLIC);
		if (!ok && !first_bad[0]) {
			char txt[INET6_ADDRSTRLEN];
			inet_ntop(fam, a, txt, sizeof txt);
			snprintf(first_bad, sizeof first_bad, "%s/%d (%s)", txt,
				 fam == AF_INET ? 32 : 128,
				 v == VERDICT_DENY ? "denied by an address rule" : addr_class_name(cls));
		}
		if (ok)
			sa[kept++] = sa[i];
	}
	if (kept == 0) {
		j->allow = false;
		if (!first_bad[0])
			snprintf(j->why, sizeof j->why, "refused %s:%d: the name does not resolve",
				 j->host, j->port);
		else {
			char cidr[INET6_ADDRSTRLEN + 8];
			snprintf(cidr, sizeof cidr, "%s", first_bad);
			*strchr(cidr, ' ') = '\0';
			snprintf(j->why, sizeof j->why,
				 "refused %s:%d: it resolves to %s, which a name rule alone never "
				 "reaches; if that is intended add to [network] in %s:  allow = [\"%s\"]",
				 j->host, j->port, first_bad, profile_name(jc), cidr);
		}
	}
	return kept;
}

void judge_collect_self(struct judge_ctx *jc)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i && jc->nself < 64; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		int fam = i->ifa_addr->sa_family;
		if (fam == AF_INET)
			memcpy(jc->self[jc->nself].addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		else if (fam == AF_INET6)
			memcpy(jc->self[jc->nself].addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       16);
		else
			continue;
		jc->self[jc->nself++].family = fam;
	}
	freeifaddrs(ifa);
}

void judge_event(const struct judge_ctx *jc, const char *via, const char *method,
		 const struct judgment *j, long long bytes_out, long long bytes_in,
		 long long duration_ms, const char *error)
{
	if (jc->events_fd < 0)
		return;
	json_t *ev = json_pack("{s:s, s:s, s:s, s:i, s:s}", "event", "net", "via", via, "host",
			       j->host, "port", j->port, "decision",
			       error ? "error" : j->allow ? "allow" : "deny");
	if (method && method[0])
		json_object_set_new(ev, "method", json_string(method));
	if (j->rule)
		json_object_set_new(ev, "rule",
				    json_sprintf("%s %s (%s)", j->rule->deny ? "deny" : "allow",
						 j->rule->text, j->rule->where));
	if (!j->allow && j->why[0])
		json_object_set_new(ev, "reason", json_string(j->why));
	if (error)
		json_object_set_new(ev, "error", json_string(error));
	if (bytes_out >= 0) {
		json_object_set_new(ev, "bytes_out", json_integer(bytes_out));
		json_object_set_new(ev, "bytes_in", json_integer(bytes_in));
		json_object_set_new(ev, "duration_ms", json_integer(duration_ms));
	}
	struct session s = {.events_fd = jc->events_fd};
	session_event(&s, ev);
}
