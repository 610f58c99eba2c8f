/* Output formats of `brig scan`. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "scan/report.h"
#include "scan/rules.h"
#include "util/xalloc.h"

struct report {
	enum report_format fmt;
	FILE *out;
	int color;
	size_t count;
	json_t *results; /* JSON findings or SARIF results */
	unsigned char *rule_used; /* SARIF: which rules appear, for the driver's rule list */
};

struct report *report_new(enum report_format fmt, FILE *out, int color)
{
	struct report *r = xcalloc(1, sizeof *r);
	r->fmt = fmt;
	r->out = out;
	r->color = color && fmt == REPORT_TEXT;
	r->results = json_array();
	r->rule_used = xcalloc(scan_rules_n + 1, 1);
	return r;
}

size_t report_count(const struct report *r)
{
	return r->count;
}

static const char *sev_color(enum scan_severity s)
{
	switch (s) {
	case SCAN_SEV_CRITICAL:
	case SCAN_SEV_HIGH:
		return "\033[1;31m";
	case SCAN_SEV_MEDIUM:
		return "\033[33m";
	default:
		return "\033[36m";
	}
}

static void add_text(struct report *r, const char *file, const char *commit,
                     const struct scan_finding *f)
{
	const char *b = r->color ? "\033[1m" : "", *c = r->color ? sev_color(f->severity) : "",
	           *z = r->color ? "\033[0m" : "";
	if (commit)
		fprintf(r->out, "%s%.12s:%s:%llu:%llu%s: ", b, commit, file, (unsigned long long)f->line,
		        (unsigned long long)f->col, z);
	else
		fprintf(r->out, "%s%s:%llu:%llu%s: ", b, file, (unsigned long long)f->line,
		        (unsigned long long)f->col, z);
	fprintf(r->out, "%s%s%s (%s) %s%s%s%s%s\n", c, f->rule_id, z, scan_severity_name(f->severity),
	        f->preview, f->validated ? " [checksum valid]" : "", f->encoding ? " [" : "",
	        f->encoding ? f->encoding : "", f->encoding ? "]" : "");
}

static json_t *finding_json(const char *file, const char *commit, const struct scan_finding *f)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:b}", "file", file,
	                      "line", (json_int_t)f->line, "column", (json_int_t)f->col, "offset",
	                      (json_int_t)f->offset, "length", (json_int_t)f->length, "rule",
	                      f->rule_id, "family", f->family, "severity",
	                      scan_severity_name(f->severity), "description", f->description,
	                      "preview", f->preview, "validated", f->validated);
	if (commit)
		json_object_set_new(o, "commit", json_string(commit));
	if (f->encoding)
		json_object_set_new(o, "encoding", json_string(f->encoding));
	return o;
}

static size_t rule_index(const char *id)
{
	for (size_t i = 0; i < scan_rules_n; i++)
		if (!strcmp(scan_rules[i].id, id))
			return i;
	return scan_rules_n; /* known values */
}

static const char *sarif_level(enum scan_severity s)
{
	return s >= SCAN_SEV_HIGH ? "error" : s == SCAN_SEV_MEDIUM ? "warning" : "note";
}

static json_t *sarif_result(struct report *r, const char *file, const char *commit,
                            const struct scan_finding *f)
{
	size_t idx = rule_index(f->rule_id);
	r->rule_used[idx] = 1;
	char *msg = xasprintf("%s: %s", f->description, f->preview);
	json_t *region = json_pack("{s:I, s:I}", "startLine", (json_int_t)f->line, "startColumn",
	                           (json_int_t)f->col);
	json_t *res = json_pack(
		"{s:s, s:s, s:{s:s}, s:[{s:{s:{s:s}, s:o}}], s:{s:s}}", "ruleId", f->rule_id, "level",
		sarif_level(f->severity), "message", "text", msg, "locations", "physicalLocation",
		"artifactLocation", "uri", file, "region", region, "properties", "preview", f->preview);
	free(msg);
	if (commit)
		json_object_set_new(json_object_get(res, "properties"), "commit", json_string(commit));
	if (f->encoding)
		json_object_set_new(json_object_get(res, "properties"), "encoding", json_string(f->encoding));
	/* Stable across runs so dashboards can track a finding: rule, file, line. */
	char *fp = xasprintf("%s:%s:%llu", f->rule_id, file, (unsigned long long)f->line);
	json_object_set_new(res, "partialFingerprints", json_pack("{s:s}", "brigFinding/v1", fp));
	free(fp);
	return res;
}

void report_add(struct report *r, const char *file, const char *commit, const struct scan_finding *f)
{
	r->count++;
	switch (r->fmt) {
	case REPORT_TEXT:
		add_text(r, file, commit, f);
		break;
	case REPORT_JSON:
		json_array_append_new(r->results, finding_json(file, commit, f));
		break;
	case REPORT_SARIF:
		json_array_append_new(r->results, sarif_result(r, file, commit, f));
		break;
	}
}

static json_t *sarif_rules(struct report *r)
{
	json_t *rules = json_array();
	for (size_t i = 0; i < scan_rules_n; i++) {
		if (!r->rule_used[i])
			continue;
		const struct scan_rule *ru = &scan_rules[i];
		json_array_append_new(
			rules, json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:[s]}}", "id", ru->id, "name",
		                         ru->id, "shortDescription", "text", ru->description,
		                         "defaultConfiguration", "level",
		                         sarif_level((enum scan_severity)ru->severity), "properties",
		                         "family", ru->family, "tags", "security"));
	}
	return rules;
}

void report_finish(struct report *r, size_t files, uint64_t bytes)
{
	json_t *doc = NULL;
	if (r->fmt == REPORT_JSON) {
		doc = json_pack("{s:o, s:I, s:I, s:I}", "findings", r->results, "count",
		                (json_int_t)r->count, "files_scanned", (json_int_t)files,
		                "bytes_scanned", (json_int_t)bytes);
	} else if (r->fmt == REPORT_SARIF) {
		doc = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:o}]}", "$schema",
		                "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
		                "runs", "tool", "driver", "name", "brig", "version", BRIG_VERSION,
		                "rules",
		                sarif_rules(r), "results", r->results);
	} else {
		json_decref(r->results);
	}
	if (doc) {
		json_dumpf(doc, r->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', r->out);
		json_decref(doc);
	}
	fflush(r->out);
	free(r->rule_used);
	free(r);
}
