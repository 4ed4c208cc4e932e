/* SPDX-License-Identifier: MIT */
/*
 * promparse.c - the strict parser of promparse.h.  Not fast: a test
 * parses a few kilobytes.
 */
#include "promparse.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ftype { F_COUNTER, F_GAUGE, F_HISTOGRAM, F_SUMMARY, F_UNTYPED };

struct family {
	char		name[256];
	enum ftype	type;
	bool		has_help, has_type, has_samples, closed;
};

struct parser {
	const char	*p, *end;
	int		 line;
	char		*err;
	size_t		 errlen;
	struct family	 fam[512];
	size_t		 nfam;
	struct family	*cur;		/* family of the last line */
	struct promp_doc *doc;
};

static int
fail(struct parser *ps, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(ps->err, ps->errlen, "line %d: ", ps->line);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < ps->errlen)
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
is_metric_name(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' ||
	    s[0] == ':'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		    s[i] == ':'))
			return false;
	return true;
}

static bool
is_label_name(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

static bool
utf8_ok(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t k;

		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (u[i] >= 0xc2 && u[i] <= 0xdf)
			k = 1;
		else if (u[i] >= 0xe0 && u[i] <= 0xef)
			k = 2;
		else if (u[i] >= 0xf0 && u[i] <= 0xf4)
			k = 3;
		else
			return false;
		for (size_t j = 1; j <= k; j++)
			if (i + j >= n || (u[i + j] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

/* Go's strconv.ParseFloat spellings that Prometheus writes and reads. */
static bool
parse_float(const char *s, size_t n, double *out)
{
	char	buf[128], *end;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strcmp(buf, "NaN") == 0) {
		*out = NAN;
		return true;
	}
	if (strcmp(buf, "+Inf") == 0 || strcmp(buf, "-Inf") == 0) {
		*out = buf[0] == '+' ? INFINITY : -INFINITY;
		return true;
	}
	/* No hex, no "inf"/"nan" in other spellings, digits required. */
	for (size_t i = 0; i < n; i++)
		if (!(isdigit((unsigned char)buf[i]) || buf[i] == '.' ||
		    buf[i] == 'e' || buf[i] == 'E' || buf[i] == '+' ||
		    buf[i] == '-'))
			return false;
	if (!isdigit((unsigned char)buf[buf[0] == '-' || buf[0] == '+']) &&
	    buf[buf[0] == '-' || buf[0] == '+'] != '.')
		return false;
	*out = strtod(buf, &end);
	return *end == '\0';
}

static struct family *
family_of(struct parser *ps, const char *name, size_t n)
{
	for (size_t i = 0; i < ps->nfam; i++)
		if (strlen(ps->fam[i].name) == n &&
		    memcmp(ps->fam[i].name, name, n) == 0)
			return &ps->fam[i];
	return NULL;
}

static struct family *
family_new(struct parser *ps, const char *name, size_t n)
{
	struct family *f;

	if (ps->nfam == sizeof(ps->fam) / sizeof(ps->fam[0]))
		abort();	/* more families than any test writes */
	f = &ps->fam[ps->nfam++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%.*s", (int)n, name);
	f->type = F_UNTYPED;
	return f;
}

/* Makes f the current family; a family that was left may not return. */
static int
enter(struct parser *ps, struct family *f)
{
	if (ps->cur == f)
		return 0;
	if (f->closed)
		return fail(ps, "lines of family %s are not together", f->name);
	if (ps->cur != NULL)
		ps->cur->closed = true;
	ps->cur = f;
	return 0;
}

static int
comment(struct parser *ps, const char *s, size_t n)
{
	const char	*kw, *name, *rest;
	size_t		 kwn, namen;
	struct family	*f;
	bool		 help;

	if (n < 2 || s[1] != ' ')
		return 0;		/* a plain comment */
	kw = s + 2;
	kwn = strcspn(kw, " \n");
	if (!((kwn == 4 && memcmp(kw, "HELP", 4) == 0) ||
	    (kwn == 4 && memcmp(kw, "TYPE", 4) == 0)))
		return 0;
	help = kw[0] == 'H';
	if (kw[kwn] != ' ')
		return fail(ps, "%.4s without a metric name", kw);
	name = kw + kwn + 1;
	namen = strcspn(name, " \n");
	if (!is_metric_name(name, namen))
		return fail(ps, "bad metric name in %.4s", kw);
	rest = name + namen;
	if ((f = family_of(ps, name, namen)) == NULL)
		f = family_new(ps, name, namen);
	if (enter(ps, f) < 0)
		return -1;
	if (help) {
		if (f->has_help)
			return fail(ps, "second HELP for %s", f->name);
		f->has_help = true;
		if (*rest != ' ')
			return fail(ps, "HELP for %s has no text", f->name);
		for (const char *c = rest + 1; c < s + n; c++)
			if (*c == '\\' && (c + 1 >= s + n ||
			    (c[1] != '\\' && c[1] != 'n')))
				return fail(ps, "bad escape in HELP");
			else if (*c == '\\')
				c++;
		if (!utf8_ok(rest, (size_t)(s + n - rest)))
			return fail(ps, "HELP is not UTF-8");
		return 0;
	}
	if (f->has_type)
		return fail(ps, "second TYPE for %s", f->name);
	if (f->has_samples)
		return fail(ps, "TYPE for %s after its samples", f->name);
	f->has_type = true;
	if (*rest != ' ')
		return fail(ps, "TYPE for %s has no type", f->name);
	rest++;
	{
		size_t tn = (size_t)(s + n - rest);

		if (tn == 7 && memcmp(rest, "counter", 7) == 0)
			f->type = F_COUNTER;
		else if (tn == 5 && memcmp(rest, "gauge", 5) == 0)
			f->type = F_GAUGE;
		else if (tn == 9 && memcmp(rest, "histogram", 9) == 0)
			f->type = F_HISTOGRAM;
		else if (tn == 7 && memcmp(rest, "summary", 7) == 0)
			f->type = F_SUMMARY;
		else if (tn == 7 && memcmp(rest, "untyped", 7) == 0)
			f->type = F_UNTYPED;
		else
			return fail(ps, "unknown type \"%.*s\"", (int)tn,
			    rest);
	}
	if (f->type == F_COUNTER && (strlen(f->name) < 7 ||
	    strcmp(f->name + strlen(f->name) - 6, "_total") != 0))
		return fail(ps, "counter %s does not end in _total", f->name);
	return 0;
}

static bool
ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return n > k && memcmp(s + n - k, suf, k) == 0;
}

/* The family a sample name belongs to (declared by TYPE), or NULL. */
static struct family *
sample_family(struct parser *ps, const char *name, size_t n, bool *bucket)
{
	static const char *const sufs[] = { "_bucket", "_sum", "_count" };
	struct family *f;

	*bucket = false;
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(sufs[i]);

		if (!ends_with(name, n, sufs[i]))
			continue;
		f = family_of(ps, name, n - k);
		if (f != NULL && (f->type == F_HISTOGRAM ||
		    (f->type == F_SUMMARY && i > 0))) {
			*bucket = i == 0;
			return f;
		}
	}
	f = family_of(ps, name, n);
	if (f != NULL && (f->type == F_HISTOGRAM))
		return NULL;	/* a histogram has no bare samples */
	return f;
}

static int parse_line(struct parser *ps, const char *s, size_t n,
    struct promp_sample *smp);

static void
sample_free(struct promp_sample *sm)
{
	free(sm->name);
	for (size_t j = 0; j < sm->nlabels; j++) {
		free(sm->lname[j]);
		free(sm->lvalue[j]);
	}
	memset(sm, 0, sizeof(*sm));
}

static int
sample_parse(struct parser *ps, const char *s, size_t n,
    struct promp_sample *out)
{
	struct promp_sample	 sm = { 0 };
	int			 rc = parse_line(ps, s, n, &sm);

	if (rc < 0)
		sample_free(&sm);
	else
		*out = sm;
	return rc;
}

static int
parse_line(struct parser *ps, const char *s, size_t n,
    struct promp_sample *smp)
{
#define sm (*smp)
	const char		*c = s, *e = s + n;
	size_t			 namen = strcspn(s, "{ \n");
	struct family		*f;
	bool			 bucket;

	if (!is_metric_name(s, namen))
		return fail(ps, "bad metric name");
	sm.name = strndup(s, namen);
	c += namen;
	if (c < e && *c == '{') {
		c++;
		while (c < e && *c != '}') {
			size_t	 ln = strcspn(c, "=\n");
			char	*v, *w;

			if (!is_label_name(c, ln) || (ln >= 2 && c[0] == '_' &&
			    c[1] == '_'))
				return fail(ps, "bad label name");
			if (sm.nlabels == PROMP_MAX_LABELS)
				return fail(ps, "too many labels");
			for (size_t i = 0; i < sm.nlabels; i++)
				if (strlen(sm.lname[i]) == ln &&
				    memcmp(sm.lname[i], c, ln) == 0)
					return fail(ps, "label %.*s twice",
					    (int)ln, c);
			sm.lname[sm.nlabels] = strndup(c, ln);
			sm.lvalue[sm.nlabels++] = NULL;	/* freed with sm */
			c += ln;
			if (c + 1 >= e || c[0] != '=' || c[1] != '"')
				return fail(ps, "label without =\"value\"");
			c += 2;
			v = w = malloc((size_t)(e - c) + 1);
			sm.lvalue[sm.nlabels - 1] = v;
			for (;; c++) {
				if (c >= e)
					return fail(ps, "unterminated label "
					    "value");
				if (*c == '"')
					break;
				if (*c == '\\') {
					c++;
					if (c >= e || (*c != '\\' && *c != '"' &&
					    *c != 'n'))
						return fail(ps, "bad escape in "
						    "a label value");
					*w++ = *c == 'n' ? '\n' : *c;
				} else
					*w++ = *c;
			}
			*w = '\0';
			if (!utf8_ok(v, strlen(v)))
				return fail(ps, "label value is not UTF-8");
			c++;		/* the quote */
			if (c < e && *c == ',') {
				c++;
				if (c < e && *c == '}')
					return fail(ps, "trailing comma");
			} else if (c < e && *c != '}')
				return fail(ps, "expected , or }");
		}
		if (c >= e)
			return fail(ps, "unterminated label set");
		if (sm.nlabels == 0)
			return fail(ps, "empty label set");
		c++;
	}
	if (c >= e || *c != ' ')
		return fail(ps, "expected a space before the value");
	c++;
	if (memchr(c, ' ', (size_t)(e - c)) != NULL)
		return fail(ps, "timestamps (or extra fields) are not "
		    "expected");
	if (!parse_float(c, (size_t)(e - c), &sm.value))
		return fail(ps, "bad value \"%.*s\"", (int)(e - c), c);
	if ((f = sample_family(ps, s, namen, &bucket)) == NULL)
		return fail(ps, "sample %s has no TYPE", sm.name);
	if (!f->has_type || !f->has_help)
		return fail(ps, "family %s lacks HELP or TYPE", f->name);
	if (enter(ps, f) < 0)
		return -1;
	f->has_samples = true;
	if (f->type == F_COUNTER && !(sm.value >= 0))
		return fail(ps, "counter %s is negative or NaN", sm.name);
	if (bucket) {
		bool has_le = false;

		for (size_t i = 0; i < sm.nlabels; i++)
			if (strcmp(sm.lname[i], "le") == 0)
				has_le = true;
		if (!has_le)
			return fail(ps, "bucket without le");
	}
	/* No series twice. */
	for (size_t i = 0; i < ps->doc->n; i++) {
		struct promp_sample *o = &ps->doc->samples[i];
		size_t same = 0;

		if (strcmp(o->name, sm.name) != 0 || o->nlabels != sm.nlabels)
			continue;
		for (size_t a = 0; a < sm.nlabels; a++)
			for (size_t b = 0; b < o->nlabels; b++)
				if (strcmp(sm.lname[a], o->lname[b]) == 0 &&
				    strcmp(sm.lvalue[a], o->lvalue[b]) == 0)
					same++;
		if (same == sm.nlabels)
			return fail(ps, "series %s twice", sm.name);
	}
	return 0;
#undef sm
}

static int
sample(struct parser *ps, const char *s, size_t n)
{
	struct promp_sample sm;

	if (sample_parse(ps, s, n, &sm) < 0)
		return -1;
	ps->doc->samples = realloc(ps->doc->samples,
	    (ps->doc->n + 1) * sizeof(sm));
	if (ps->doc->samples == NULL)
		abort();
	ps->doc->samples[ps->doc->n++] = sm;
	return 0;
}

/* Labels of s other than le, equal to those of o (other than le). */
static bool
same_but_le(const struct promp_sample *s, const struct promp_sample *o)
{
	size_t ns = 0, no = 0, same = 0;

	for (size_t a = 0; a < s->nlabels; a++) {
		if (strcmp(s->lname[a], "le") == 0)
			continue;
		ns++;
		for (size_t b = 0; b < o->nlabels; b++)
			if (strcmp(s->lname[a], o->lname[b]) == 0 &&
			    strcmp(s->lvalue[a], o->lvalue[b]) == 0)
				same++;
	}
	for (size_t b = 0; b < o->nlabels; b++)
		if (strcmp(o->lname[b], "le") != 0)
			no++;
	return ns == no && same == ns;
}

static const char *
le_of(const struct promp_sample *s)
{
	for (size_t a = 0; a < s->nlabels; a++)
		if (strcmp(s->lname[a], "le") == 0)
			return s->lvalue[a];
	return NULL;
}

/* Every histogram series: le ascending, cumulative, +Inf = _count, _sum. */
static int
check_histograms(struct parser *ps)
{
	struct promp_doc *d = ps->doc;

	ps->line = 0;
	for (size_t f = 0; f < ps->nfam; f++) {
		char bname[300], cname[300], sname[300];

		if (ps->fam[f].type != F_HISTOGRAM)
			continue;
		snprintf(bname, sizeof(bname), "%s_bucket", ps->fam[f].name);
		snprintf(cname, sizeof(cname), "%s_count", ps->fam[f].name);
		snprintf(sname, sizeof(sname), "%s_sum", ps->fam[f].name);
		for (size_t i = 0; i < d->n; i++) {
			const struct promp_sample *c = &d->samples[i];
			double last_le = -INFINITY, last_v = 0, inf = -1;
			bool has_sum = false;

			if (strcmp(c->name, cname) != 0)
				continue;
			if (c->value != floor(c->value) || c->value < 0)
				return fail(ps, "%s is not a count", cname);
			for (size_t j = 0; j < d->n; j++) {
				const struct promp_sample *b = &d->samples[j];
				double le;

				if (strcmp(b->name, sname) == 0 &&
				    same_but_le(b, c))
					has_sum = true;
				if (strcmp(b->name, bname) != 0 ||
				    !same_but_le(b, c))
					continue;
				if (!parse_float(le_of(b), strlen(le_of(b)),
				    &le) || isnan(le))
					return fail(ps, "%s: bad le", bname);
				if (le <= last_le)
					return fail(ps, "%s: le not "
					    "ascending", bname);
				if (b->value < last_v ||
				    b->value != floor(b->value))
					return fail(ps, "%s: buckets not "
					    "cumulative counts", bname);
				last_le = le;
				last_v = b->value;
				if (isinf(le))
					inf = b->value;
			}
			if (inf < 0)
				return fail(ps, "%s: no +Inf bucket", bname);
			if (inf != c->value)
				return fail(ps, "%s: +Inf bucket %g != _count "
				    "%g", bname, inf, c->value);
			if (!has_sum)
				return fail(ps, "%s: no _sum", bname);
		}
		/* and every bucket series has a _count */
		for (size_t j = 0; j < d->n; j++) {
			bool found = false;

			if (strcmp(d->samples[j].name, bname) != 0)
				continue;
			for (size_t i = 0; i < d->n; i++)
				if (strcmp(d->samples[i].name, cname) == 0 &&
				    same_but_le(&d->samples[j],
				    &d->samples[i]))
					found = true;
			if (!found)
				return fail(ps, "%s without _count", bname);
		}
	}
	return 0;
}

int
promp_parse(const char *text, size_t len, struct promp_doc *doc, char *err,
    size_t errlen)
{
	static struct parser ps;
	struct parser	ps0 = { .p = text, .end = text + len, .err = err,
			    .errlen = errlen, .doc = doc };
	int		rc = 0;

	ps = ps0;	/* static: the family table is large */

	memset(doc, 0, sizeof(*doc));
	if (len == 0 || text[len - 1] != '\n') {
		snprintf(err, errlen, "the text does not end with a newline");
		return -1;
	}
	if (memchr(text, '\0', len) != NULL || memchr(text, '\r', len)) {
		snprintf(err, errlen, "NUL or CR in the text");
		return -1;
	}
	while (ps.p < ps.end && rc == 0) {
		const char *nl = memchr(ps.p, '\n', (size_t)(ps.end - ps.p));
		size_t n = (size_t)(nl - ps.p);

		ps.line++;
		if (n == 0)
			rc = fail(&ps, "empty line");
		else if (ps.p[0] == '#')
			rc = comment(&ps, ps.p, n);
		else
			rc = sample(&ps, ps.p, n);
		ps.p = nl + 1;
	}
	if (rc == 0)
		rc = check_histograms(&ps);
	if (rc < 0)
		promp_free(doc);
	return rc;
}

void
promp_free(struct promp_doc *doc)
{
	for (size_t i = 0; i < doc->n; i++) {
		free(doc->samples[i].name);
		for (size_t j = 0; j < doc->samples[i].nlabels; j++) {
			free(doc->samples[i].lname[j]);
			free(doc->samples[i].lvalue[j]);
		}
	}
	free(doc->samples);
	memset(doc, 0, sizeof(*doc));
}

double
promp_sum(const struct promp_doc *doc, const char *name, size_t *n, ...)
{
	const char	*want[2 * PROMP_MAX_LABELS];
	size_t		 nwant = 0, count = 0;
	double		 sum = 0;
	va_list		 ap;
	const char	*k;

	va_start(ap, n);
	while ((k = va_arg(ap, const char *)) != NULL &&
	    nwant < 2 * PROMP_MAX_LABELS) {
		want[nwant++] = k;
		want[nwant++] = va_arg(ap, const char *);
	}
	va_end(ap);
	for (size_t i = 0; i < doc->n; i++) {
		const struct promp_sample *s = &doc->samples[i];
		bool ok = strcmp(s->name, name) == 0;

		for (size_t w = 0; ok && w < nwant; w += 2) {
			bool found = false;

			for (size_t j = 0; j < s->nlabels; j++)
				if (strcmp(s->lname[j], want[w]) == 0 &&
				    strcmp(s->lvalue[j], want[w + 1]) == 0)
					found = true;
			ok = found;
		}
		if (ok) {
			sum += s->value;
			count++;
		}
	}
	if (n != NULL)
		*n = count;
	return sum;
}
