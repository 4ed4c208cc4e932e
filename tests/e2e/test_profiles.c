/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_profiles.c - /api/profiles/{username} and follow (SPEC
 * 4.5) through nginx: anonymous and authenticated reads, idempotent
 * follow and unfollow, yourself refused, 401/404, rows read back.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conduit.h"
#include "users.h"

TestSuite(profiles, .init = test_need_stack, .timeout = 60);

static char *
path(const char *fmt, const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), fmt, name);
	return buf;
}

static long
follows(const struct cd_user *a, const struct cd_user *b)
{
	return cd_count("SELECT count(*) FROM follows f "
	    "JOIN users a ON a.id = f.follower_id "
	    "JOIN users b ON b.id = f.followee_id "
	    "WHERE a.username = $1 AND b.username = $2", a->username,
	    b->username, NULL);
}

Test(profiles, anyone_reads_a_profile)
{
	struct cd_user	 u;
	struct resp	 r;

	cd_user_new(&u);
	free(cd_sql("UPDATE users SET bio = 'hi' WHERE username = $1 "
	    "RETURNING id", u.username, NULL));
	r = cd_call("GET", path("/api/profiles/%s", u.username), NULL, NULL);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "profile.username"), u.username);
	cr_assert_str_eq(resp_str(&r, "profile.bio"), "hi");
	cr_assert_null(resp_str(&r, "profile.image"));
	cr_assert_str_eq(resp_str(&r, "profile.following"), "false");
	cr_assert_null(resp_str(&r, "profile.email"));
	resp_free(&r);

	r = cd_call("GET", "/api/profiles/no_such_user_here", NULL, NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	/* A broken token on an optional read is a reader without one. */
	r = http_auth("GET", path("/api/profiles/%s", u.username),
	    "Token x.y.z", NULL);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
}

Test(profiles, follow_and_unfollow_are_idempotent)
{
	struct cd_user	 a, b;
	struct resp	 r;

	cd_user_new(&a);
	cd_user_new(&b);
	for (int i = 0; i < 2; i++) {
		r = cd_call("POST", path("/api/profiles/%s/follow",
		    b.username), &a, NULL);
		cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
		cr_assert_str_eq(resp_str(&r, "profile.following"), "true");
		cr_assert_str_eq(resp_str(&r, "profile.username"), b.username);
		resp_free(&r);
		cr_assert_eq(follows(&a, &b), 1);
	}
	r = cd_call("GET", path("/api/profiles/%s", b.username), &a, NULL);
	cr_assert_str_eq(resp_str(&r, "profile.following"), "true");
	resp_free(&r);
	/* Following is one way; anonymous readers see false. */
	r = cd_call("GET", path("/api/profiles/%s", a.username), &b, NULL);
	cr_assert_str_eq(resp_str(&r, "profile.following"), "false");
	resp_free(&r);
	r = cd_call("GET", path("/api/profiles/%s", b.username), NULL, NULL);
	cr_assert_str_eq(resp_str(&r, "profile.following"), "false");
	resp_free(&r);

	for (int i = 0; i < 2; i++) {
		r = cd_call("DELETE", path("/api/profiles/%s/follow",
		    b.username), &a, NULL);
		cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
		cr_assert_str_eq(resp_str(&r, "profile.following"), "false");
		resp_free(&r);
		cr_assert_eq(follows(&a, &b), 0);
	}
}

Test(profiles, following_yourself_is_refused)
{
	struct cd_user	 a;
	struct resp	 r;

	cd_user_new(&a);
	r = cd_call("POST", path("/api/profiles/%s/follow", a.username), &a,
	    NULL);
	cd_assert_error(&r, 422, "username");
	resp_free(&r);
	cr_assert_eq(follows(&a, &a), 0);
}

Test(profiles, follow_needs_a_token_and_a_user)
{
	struct cd_user	 a, b;
	struct resp	 r;

	cd_user_new(&a);
	cd_user_new(&b);
	r = cd_call("POST", path("/api/profiles/%s/follow", b.username), NULL,
	    NULL);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	r = cd_call("DELETE", path("/api/profiles/%s/follow", b.username),
	    NULL, NULL);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	cr_assert_eq(follows(&a, &b), 0);
	r = cd_call("POST", "/api/profiles/no_such_user_here/follow", &a,
	    NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	r = cd_call("DELETE", "/api/profiles/no_such_user_here/follow", &a,
	    NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	/* Usernames match case-insensitively. */
	for (char *p = b.username; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	r = cd_call("POST", path("/api/profiles/%s/follow", b.username), &a,
	    NULL);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
}
