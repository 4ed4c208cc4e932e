/* SPDX-License-Identifier: MIT */
/*
 * prom.h - a writer of the Prometheus text exposition format, version
 * 0.0.4 (the one every Prometheus server and agent reads).
 *
 * It only formats: `# HELP` and `# TYPE` lines, samples with escaped label
 * values, histograms with cumulative buckets.  The caller gives a FILE
 * (open_memstream for a response) and keeps each metric family's lines
 * together, as the format requires.  No I/O besides the FILE, no state.
 */
#ifndef LIB_PROM_H
#define LIB_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The Content-Type of the exposition. */
#define PROM_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct prom_label {
	const char	*name;		/* [a-zA-Z_][a-zA-Z0-9_]*, not checked */
	const char	*value;		/* any UTF-8: escaped here */
};

/* "# HELP name help" (help escaped) and "# TYPE name type"; type is
 * "counter", "gauge", "histogram", "summary" or "untyped". */
void	prom_family(FILE *f, const char *name, const char *type,
	    const char *help);

/* One sample line "name{a="x",b="y"} value".  nlabels may be 0. */
void	prom_u64(FILE *f, const char *name, const struct prom_label *labels,
	    size_t nlabels, uint64_t value);
void	prom_double(FILE *f, const char *name, const struct prom_label *labels,
	    size_t nlabels, double value);

/*
 * The series of one histogram: name_bucket{...,le="b"} for each of
 * bounds[0..nbounds) (ascending) and le="+Inf", then name_sum and
 * name_count.  counts[i] is the number of observations that fell in
 * bucket i alone (bounds[i-1] < v <= bounds[i]), counts[nbounds] those
 * above the last bound: the writer accumulates, so the buckets never
 * decrease and "+Inf" equals _count.
 */
void	prom_histogram(FILE *f, const char *name,
	    const struct prom_label *labels, size_t nlabels,
	    const double *bounds, const uint64_t *counts, size_t nbounds,
	    double sum);

/* Writes `s` as a label value (without quotes): \ " and newline escaped. */
void	prom_label_value(FILE *f, const char *s);

#endif /* LIB_PROM_H */
