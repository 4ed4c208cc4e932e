/* SPDX-License-Identifier: MIT */
/*
 * promparse.h - a strict parser of the Prometheus text exposition format
 * 0.0.4, for the tests (unit: the writer; e2e: GET /metrics).  Stricter
 * than Prometheus where our writer has no reason to be loose: no empty
 * lines, no trailing comma in a label set, no timestamps, every family
 * typed; and the house rule that counter names end in _total.
 *
 * Checks: metric and label names, label escapes (only \\ \" \n) and
 * UTF-8, duplicate label names, float syntax (Go's: NaN, +Inf, -Inf),
 * one HELP and one TYPE per family, before its samples, a family's lines
 * together, no series twice, counters >= 0, histograms (le ascending,
 * buckets cumulative, a +Inf bucket equal to _count, a _sum).
 */
#ifndef TESTS_SUPPORT_PROMPARSE_H
#define TESTS_SUPPORT_PROMPARSE_H

#include <stdbool.h>
#include <stddef.h>

#define PROMP_MAX_LABELS	8

struct promp_sample {
	char	*name;
	size_t	 nlabels;
	char	*lname[PROMP_MAX_LABELS];
	char	*lvalue[PROMP_MAX_LABELS];	/* unescaped */
	double	 value;
};

struct promp_doc {
	struct promp_sample	*samples;
	size_t			 n;
};

/* Parses text[0..len).  0, or -1 with "line N: why" in err. */
int	promp_parse(const char *text, size_t len, struct promp_doc *doc,
	    char *err, size_t errlen);
void	promp_free(struct promp_doc *doc);

/*
 * The sum of the samples named `name` whose labels include every pair of
 * the NULL-terminated list "k1", "v1", "k2", "v2", ..., NULL; *n gets how
 * many matched (may be NULL).
 */
double	promp_sum(const struct promp_doc *doc, const char *name, size_t *n,
	    ...);

#endif /* TESTS_SUPPORT_PROMPARSE_H */
