/* SPDX-License-Identifier: MIT */
/*
 * prom.c - the text exposition format 0.0.4: escaping and histograms.
 * Floats are printed in the shortest form that reads back as the same
 * double (0.0005, not 0.00050000000000000001), or as +Inf, -Inf, NaN.
 */
#include "prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

void
prom_label_value(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\\': fputs("\\\\", f); break;
		case '"':  fputs("\\\"", f); break;
		case '\n': fputs("\\n", f); break;
		default:   fputc(*s, f); break;
		}
	}
}

void
prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	/* In HELP text only backslash and newline are escaped. */
	for (const char *s = help; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

/* The shortest %g spelling that reads back as the same double. */
static void
format_double(char *buf, size_t len, double v)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static void
write_double(FILE *f, double v)
{
	char buf[64];

	format_double(buf, sizeof(buf), v);
	fputs(buf, f);
}

/* name{labels[,le="..."]} */
static void
write_series(FILE *f, const char *name, const char *suffix,
    const struct prom_label *labels, size_t nlabels, const char *le)
{
	fputs(name, f);
	fputs(suffix, f);
	if (nlabels == 0 && le == NULL) {
		fputc(' ', f);
		return;
	}
	fputc('{', f);
	for (size_t i = 0; i < nlabels; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", labels[i].name);
		prom_label_value(f, labels[i].value);
		fputc('"', f);
	}
	if (le != NULL)
		fprintf(f, "%sle=\"%s\"", nlabels ? "," : "", le);
	fputs("} ", f);
}

void
prom_u64(FILE *f, const char *name, const struct prom_label *labels,
    size_t nlabels, uint64_t value)
{
	write_series(f, name, "", labels, nlabels, NULL);
	fprintf(f, "%" PRIu64 "\n", value);
}

void
prom_double(FILE *f, const char *name, const struct prom_label *labels,
    size_t nlabels, double value)
{
	write_series(f, name, "", labels, nlabels, NULL);
	write_double(f, value);
	fputc('\n', f);
}

void
prom_histogram(FILE *f, const char *name, const struct prom_label *labels,
    size_t nlabels, const double *bounds, const uint64_t *counts,
    size_t nbounds, double sum)
{
	uint64_t	total = 0;
	char		le[64];

	for (size_t i = 0; i <= nbounds; i++) {
		total += counts[i];
		if (i < nbounds)
			format_double(le, sizeof(le), bounds[i]);
		write_series(f, name, "_bucket", labels, nlabels,
		    i < nbounds ? le : "+Inf");
		fprintf(f, "%" PRIu64 "\n", total);
	}
	write_series(f, name, "_sum", labels, nlabels, NULL);
	write_double(f, sum);
	fputc('\n', f);
	write_series(f, name, "_count", labels, nlabels, NULL);
	fprintf(f, "%" PRIu64 "\n", total);
}
