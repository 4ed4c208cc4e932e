/* SPDX-License-Identifier: MIT */
/*
 * route.c - a linear walk over the table, segment by segment.  Tables hold a
 * few dozen routes; a walk costs less than one syscall, so no trie.
 */
#include "route.h"

#include <string.h>

#include "arena.h"
#include "http.h"

bool
route_is_id(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n > 19 || s[0] == '0' || strspn(s, "0123456789") != n)
		return false;
	/* 9223372036854775807 is the largest; compare as strings. */
	return n < 19 || strcmp(s, "9223372036854775807") <= 0;
}

/* Matches one pattern; fills r's params on success. */
static bool
match_path(const char *pattern, const char *path, struct req *r)
{
	const char	*p = pattern, *s = path;
	size_t		 np = 0;

	while (*p != '\0' && *s != '\0') {
		const char *pe, *se;

		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		pe = strchrnul(p, '/');
		se = strchrnul(s, '/');
		if (*p == '{') {
			char *v;

			if (se == s || np == HTTP_MAX_PATH_PARAMS)
				return false;
			v = arena_strndup(r->arena, s, (size_t)(se - s));
			if (strncmp(p, "{id}", 4) == 0 && !route_is_id(v))
				return false;
			r->path_params[np++] = v;
		} else if ((size_t)(pe - p) != (size_t)(se - s) ||
		    memcmp(p, s, (size_t)(pe - p)) != 0)
			return false;
		p = pe;
		s = se;
	}
	if (*p != '\0' || *s != '\0')
		return false;
	r->npath_params = np;
	return true;
}

static void
allow_add(char *allow, size_t len, const char *m)
{
	size_t	used = strlen(allow);
	/* Skip duplicates ("GET" from two patterns). */
	const char *hit = strstr(allow, m);

	if (hit != NULL && (hit[strlen(m)] == ',' || hit[strlen(m)] == '\0'))
		return;
	if (used + strlen(m) + 3 > len)
		return;
	if (used > 0)
		strcat(allow, ", ");
	strcat(allow, m);
}

int
route_match(const struct route *table, size_t n, const char *method,
    const char *path, struct req *r, const struct route **out, char *allow,
    size_t allowlen)
{
	bool path_seen = false;

	if (allowlen > 0)
		allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!match_path(table[i].pattern, path, r))
			continue;
		if (strcmp(table[i].method, method) == 0) {
			*out = &table[i];
			return 1;
		}
		path_seen = true;
		allow_add(allow, allowlen, table[i].method);
		if (strcmp(table[i].method, "GET") == 0)
			allow_add(allow, allowlen, "HEAD");
	}
	r->npath_params = 0;
	return path_seen ? -1 : 0;
}
