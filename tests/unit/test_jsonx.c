/* SPDX-License-Identifier: MIT */
/* tests/unit/test_jsonx.c - lib/jsonx.c: strict parsing and field tables. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "http.h"
#include "jsonx.h"

struct task_in {
	const char *title, *description, *due_date, *done, *priority;
};

static const struct jsonx_field fields[] = {
	JSONX_STRING(struct task_in, title, JSONX_REQUIRED, 1, 200),
	JSONX_STRING(struct task_in, description, JSONX_NULLABLE, 0, 10000),
	JSONX_DATE(struct task_in, due_date, JSONX_NULLABLE),
	JSONX_BOOL(struct task_in, done, 0),
	JSONX_INT(struct task_in, priority, 0, 1, 5),
	JSONX_END
};

static struct arena *a;
static void setup(void) { a = arena_new(1024); }
static void teardown(void) { arena_free(a); }
TestSuite(jsonx, .init = setup, .fini = teardown);

static const char *why;

static int
parse_ok(const char *s)
{
	return jsonx_parse(a, s, strlen(s), &why) != NULL;
}

Test(jsonx, strict_parsing_refuses_what_json_c_lets_through)
{
	const char *bad[] = { "{\"a\":1,}", "[1,2,]", "{'a':1}",
	    "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-Infinity}",
	    "{\"a\":1} x", "{\"a\":1}{}", "{\"a\":01}", "/*c*/{}",
	    "{\"a\":1 // c\n}", "", "   ", "{\"a\":\"\xff\"}", "{\"a\"}",
	    "{\"a\":nul}", "{\"a\":tru}", "{\"a\":undefined}" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(parse_ok(bad[i]), "accepted: %s", bad[i]);
	cr_assert(parse_ok("{\"a\":[1,2.5,true,false,null,\"x\"]}\n"));
	cr_assert(parse_ok("{\"s\":\"Infinity and NaN 'quoted'\"}"));
	cr_assert(parse_ok("[]"));
}

Test(jsonx, depth_is_limited_to_32)
{
	char deep[200] = "", *p = deep;

	for (int i = 0; i < 33; i++)
		*p++ = '[';
	for (int i = 0; i < 33; i++)
		*p++ = ']';
	cr_assert_not(parse_ok(deep));
	cr_assert_not_null(strstr(why, "32"));
	cr_assert(parse_ok(deep + 2) == 0 || 1);	/* shape only */
	memset(deep, 0, sizeof(deep));
	p = deep;
	for (int i = 0; i < 31; i++)
		*p++ = '[';
	for (int i = 0; i < 31; i++)
		*p++ = ']';
	cr_assert(parse_ok(deep));
}

static struct req r;

static int
read_body(const char *body, struct task_in *in, uint64_t *seen)
{
	memset(&r, 0, sizeof(r));
	memset(in, 0, sizeof(*in));
	r.arena = a;
	r.body = body;
	r.body_len = strlen(body);
	r.json = jsonx_parse(a, body, r.body_len, &why);
	cr_assert_not_null(r.json, "%s", body);
	return jsonx_read(&r, fields, in, seen);
}

static bool
has_error(const char *field, const char *code)
{
	for (size_t i = 0; i < r.nerrors; i++)
		if (strcmp(r.errors[i].field, field) == 0 &&
		    strcmp(r.errors[i].code, code) == 0)
			return true;
	return false;
}

Test(jsonx, fields_become_sql_ready_text)
{
	struct task_in in;
	uint64_t seen;

	cr_assert_eq(read_body("{\"title\":\"Buy milk\",\"done\":true,"
	    "\"due_date\":\"2024-02-29\",\"priority\":3}", &in, &seen), 0);
	cr_assert_str_eq(in.title, "Buy milk");
	cr_assert_str_eq(in.done, "true");
	cr_assert_str_eq(in.due_date, "2024-02-29");
	cr_assert_str_eq(in.priority, "3");
	cr_assert_null(in.description);
	cr_assert(jsonx_seen(fields, seen, "done"));
	cr_assert_not(jsonx_seen(fields, seen, "description"));
}

Test(jsonx, null_is_seen_but_stays_null)
{
	struct task_in in;
	uint64_t seen;

	cr_assert_eq(read_body("{\"title\":\"x\",\"description\":null}", &in,
	    &seen), 0);
	cr_assert_null(in.description);
	cr_assert(jsonx_seen(fields, seen, "description"));
	cr_assert_eq(read_body("{\"title\":null}", &in, &seen), -1);
	cr_assert(has_error("title", "null"));
}

Test(jsonx, every_bad_field_is_named)
{
	struct task_in in;

	cr_assert_eq(read_body("{\"title\":\"\",\"done\":\"yes\","
	    "\"due_date\":\"2023-02-29\",\"priority\":6,\"owner\":1}", &in,
	    NULL), -1);
	cr_assert_eq(r.err_status, 422);
	cr_assert(has_error("title", "empty"));
	cr_assert(has_error("done", "type"));
	cr_assert(has_error("due_date", "invalid_date"));
	cr_assert(has_error("priority", "out_of_range"));
	cr_assert(has_error("owner", "unknown_field"));
}

Test(jsonx, missing_required_and_wrong_types)
{
	struct task_in in;

	cr_assert_eq(read_body("{}", &in, NULL), -1);
	cr_assert(has_error("title", "required"));
	cr_assert_eq(read_body("{\"title\":5}", &in, NULL), -1);
	cr_assert(has_error("title", "type"));
	cr_assert_eq(read_body("{\"title\":\"x\",\"priority\":2.0}", &in,
	    NULL), -1);
	cr_assert(has_error("priority", "type"));
	cr_assert_eq(read_body("[1]", &in, NULL), -1);
	cr_assert(has_error("body", "type"));
}

Test(jsonx, big_integers_are_out_of_range_not_clamped)
{
	struct task_in in;

	cr_assert_eq(read_body("{\"title\":\"x\",\"priority\":"
	    "99999999999999999999}", &in, NULL), -1);
	cr_assert(has_error("priority", "out_of_range"));
	cr_assert_eq(read_body("{\"title\":\"x\",\"priority\":3000000000}",
	    &in, NULL), -1);
	cr_assert(has_error("priority", "out_of_range"));
}

Test(jsonx, lengths_count_characters_and_nul_is_refused)
{
	struct task_in in;
	char body[1200];
	char title[201 * 2 + 1] = "";

	for (int i = 0; i < 200; i++)
		strcat(title, "\xc3\xa9");	/* 200 characters, 400 bytes */
	snprintf(body, sizeof(body), "{\"title\":\"%s\"}", title);
	cr_assert_eq(read_body(body, &in, NULL), 0);
	strcat(title, "e");
	snprintf(body, sizeof(body), "{\"title\":\"%s\"}", title);
	cr_assert_eq(read_body(body, &in, NULL), -1);
	cr_assert(has_error("title", "too_long"));
	cr_assert_eq(read_body("{\"title\":\"a\\u0000b\"}", &in, NULL), -1);
	cr_assert(has_error("title", "invalid_characters"));
}

Test(jsonx, envelope_and_ignore_unknown)
{
	struct task_in in;

	memset(&r, 0, sizeof(r));
	memset(&in, 0, sizeof(in));
	r.arena = a;
	r.body = "{\"article\":{\"title\":\"t\",\"extra\":1}}";
	r.body_len = strlen(r.body);
	r.json = jsonx_parse(a, r.body, r.body_len, &why);
	cr_assert_eq(jsonx_read_ex(&r, "article", fields, &in, NULL,
	    JSONX_IGNORE_UNKNOWN), 0);
	cr_assert_str_eq(in.title, "t");
	cr_assert_eq(jsonx_read_ex(&r, "user", fields, &in, NULL, 0), -1);
	cr_assert(has_error("user", "required"));
}

Test(jsonx, dates)
{
	cr_assert(jsonx_is_date("2024-02-29"));
	cr_assert(jsonx_is_date("2000-02-29"));
	cr_assert_not(jsonx_is_date("1900-02-29"));
	cr_assert_not(jsonx_is_date("2024-13-01"));
	cr_assert_not(jsonx_is_date("2024-04-31"));
	cr_assert_not(jsonx_is_date("2024-1-01"));
	cr_assert_not(jsonx_is_date("2024-01-01T00:00:00Z"));
	cr_assert_not(jsonx_is_date("0000-01-01"));
	cr_assert_not(jsonx_is_date(" 2024-01-0"));
}

struct tags_in {
	const char *tags;
};

static const struct jsonx_field tags_fields[] = {
	JSONX_STRINGS(struct tags_in, tags, JSONX_NULLABLE, 1, 5),
	JSONX_END
};

static int
read_tags(const char *body, struct tags_in *in)
{
	memset(&r, 0, sizeof(r));
	memset(in, 0, sizeof(*in));
	r.arena = a;
	r.body = body;
	r.body_len = strlen(body);
	r.json = jsonx_parse(a, body, r.body_len, &why);
	cr_assert_not_null(r.json, "%s", body);
	return jsonx_read(&r, tags_fields, in, NULL);
}

Test(jsonx, string_arrays_become_quoted_text_array_literals)
{
	struct tags_in	 in;
	char		 many[1024];
	size_t		 n = 0;

	cr_assert_eq(read_tags("{\"tags\":[\"a\",\"b c\",\"q\\\"x\",\"b\\\\s\","
	    "\"{,}\",\"é\"]}", &in), 0);
	cr_assert_str_eq(in.tags,
	    "{\"a\",\"b c\",\"q\\\"x\",\"b\\\\s\",\"{,}\",\"é\"}");
	cr_assert_eq(read_tags("{\"tags\":[]}", &in), 0);
	cr_assert_str_eq(in.tags, "{}");
	cr_assert_eq(read_tags("{\"tags\":null}", &in), 0);
	cr_assert_null(in.tags);

	cr_assert_eq(read_tags("{\"tags\":\"a\"}", &in), -1);
	cr_assert(has_error("tags", "type"));
	cr_assert_eq(read_tags("{\"tags\":[\"a\",1]}", &in), -1);
	cr_assert(has_error("tags", "type"));
	cr_assert_eq(read_tags("{\"tags\":[[\"a\"]]}", &in), -1);
	cr_assert(has_error("tags", "type"));
	cr_assert_eq(read_tags("{\"tags\":[\"\"]}", &in), -1);
	cr_assert(has_error("tags", "item_length"));
	cr_assert_eq(read_tags("{\"tags\":[\"toolong\"]}", &in), -1);
	cr_assert(has_error("tags", "item_length"));
	cr_assert_eq(read_tags("{\"tags\":[\"a\\u0000b\"]}", &in), -1);
	cr_assert(has_error("tags", "invalid_characters"));

	n += (size_t)snprintf(many, sizeof(many), "{\"tags\":[");
	for (int i = 0; i <= JSONX_MAX_ITEMS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s\"t\"",
		    i ? "," : "");
	snprintf(many + n, sizeof(many) - n, "]}");
	cr_assert_eq(read_tags(many, &in), -1);
	cr_assert(has_error("tags", "too_long"));
}

/* Issue 11 item 2: what json-c 0.16 let through, each with its answer. */
static int
scan_status(const char *s, size_t len)
{
	int status = 0;

	if (jsonx_parse_ex(a, s, len, &why, &status) != NULL)
		return 0;
	cr_assert_not_null(why);
	return status;
}

#define SCAN(lit) scan_status(lit, sizeof(lit) - 1)

Test(jsonx, nul_bytes_after_or_inside_the_body_are_400)
{
	cr_assert_eq(SCAN("{}\0"), 400);
	cr_assert_eq(SCAN("{\"title\":\"x\"}\0\0\0"), 400);
	cr_assert_eq(SCAN("{\"title\":\"x\"} \0"), 400);
	cr_assert_eq(SCAN("{\"title\":\"x\0\"}"), 400);
	cr_assert_eq(SCAN("{\"title\":1\0}"), 400);
	cr_assert_eq(SCAN("\0{}"), 400);
}

Test(jsonx, raw_control_characters_in_strings_are_400)
{
	cr_assert_eq(SCAN("{\"a\":\"\x01\"}"), 400);
	cr_assert_eq(SCAN("{\"a\":\"line\nbreak\"}"), 400);
	cr_assert_eq(SCAN("{\"a\":\"tab\there\"}"), 400);
	cr_assert_eq(SCAN("{\"a\x1f\":1}"), 400);
	cr_assert_eq(SCAN("{\"a\":\"\x7f is not a control in JSON\"}"), 0);
	cr_assert_eq(SCAN("{\"a\":\"escaped \\n \\t \\u0001 ok\"}"), 0);
}

Test(jsonx, numbers_outside_rfc_8259_are_400)
{
	const char *bad[] = { "1.", "1.e5", "-01", "00", "-", "+1", ".5",
	    "1e", "1e+", "0x10", "1.5.2", "--1", "01.5", "-0.", "1E+-2" };
	const char *good[] = { "0", "-0", "1", "-1", "1.5", "1e5", "1E+5",
	    "1e-5", "-0.0e0", "123456789", "0.000001" };
	char body[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"done\":%s}", bad[i]);
		cr_assert_eq(scan_status(body, strlen(body)), 400, "%s", body);
		snprintf(body, sizeof(body), "[%s]", bad[i]);
		cr_assert_eq(scan_status(body, strlen(body)), 400, "%s", body);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(body, sizeof(body), "{\"done\":%s}", good[i]);
		cr_assert_eq(scan_status(body, strlen(body)), 0, "%s", body);
	}
}

Test(jsonx, lone_surrogates_and_nul_in_names_are_422)
{
	cr_assert_eq(SCAN("{\"a\":\"\\ud800\"}"), 422);
	cr_assert_eq(SCAN("{\"a\":\"\\udc00\"}"), 422);
	cr_assert_eq(SCAN("{\"a\":\"\\ud800x\"}"), 422);
	cr_assert_eq(SCAN("{\"a\":\"\\ud800\\u0041\"}"), 422);
	cr_assert_eq(SCAN("{\"a\":\"\\udbff\\udbff\"}"), 422);
	cr_assert_eq(SCAN("{\"\\ud800\":1}"), 422);
	cr_assert_eq(SCAN("{\"title\":\"safe\",\"title\\u0000\":\"evil\"}"),
	    422);
	cr_assert_not_null(strstr(why, "u0000"));
	/* A pair is one character; syntax errors still win as 400. */
	cr_assert_eq(SCAN("{\"a\":\"\\ud83d\\ude00\"}"), 0);
	cr_assert_eq(SCAN("{\"a\":\"\\ud800\\uzzzz\"}"), 400);
	cr_assert_eq(SCAN("[\"\\ud800\",]"), 400);
	/* \u0000 in a value parses; the field table refuses it (422). */
	cr_assert_eq(SCAN("{\"a\":\"\\u0000\"}"), 0);
}

Test(jsonx, the_scan_agrees_with_the_grammar_on_shapes)
{
	const char *good[] = { "{}", "[]", " [ ] ", "{\"a\":{}}", "[[],[{}]]",
	    "\"s\"", "true", "null", "1", "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}",
	    "{ \"a\" : 1 , \"b\" : 2 }" };
	const char *bad[] = { "{", "[", "]", "}", "{]", "[}", "{\"a\"1}",
	    "{\"a\":}", "{,}", "[,]", "[1 2]", "{\"a\":1,}", "{1:2}",
	    "[\"a\":1]", "\"unterminated", "\"bad \\x escape\"", "\"\\u12\"",
	    "truex", "nulll", "[true false]", "{\"a\":1}}" };
	const char *w;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(jsonx_scan(good[i], strlen(good[i]), &w), 0, "%s",
		    good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(jsonx_scan(bad[i], strlen(bad[i]), &w), 400,
		    "%s", bad[i]);
}
