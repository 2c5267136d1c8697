/* test_util.c: buffers, number formats, JSON writing, UTF-8 checks, the hash map and canonical keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/key.h"
#include "util/buf.h"
#include "util/canon.h"
#include "util/clock.h"
#include "util/csv.h"
#include "util/fmt.h"
#include "util/fs.h"
#include "util/free.h"
#include "util/grow.h"
#include "util/html.h"
#include "util/json.h"
#include "util/keyset.h"
#include "util/jsonread.h"
#include "util/map.h"
#include "util/rowhash.h"
#include "util/text.h"
#include "util/md5.h"
#include "util/uri.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void buf_grows_and_formats(void **state)
{
    (void)state;
    co_buf b = CO_BUF_INIT;
    assert_string_equal(co_buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        Co_buf_printf(&b, "%d,", i);
    assert_false(b.failed);
    assert_int_equal(b.len, strlen(b.data));
    assert_memory_equal(b.data, "0,1,2,", 6);
    assert_non_null(strstr(b.data, ",999,"));
    Co_buf_reset(&b);
    assert_int_equal(b.len, 0);
    Co_buf_printf(&b, "%s", "a long string that is longer than the small buffer of printf, repeated "
                            "a long string that is longer than the small buffer of printf, repeated "
                            "a long string that is longer than the small buffer of printf, repeated "
                            "a long string that is longer than the small buffer of printf");
    assert_int_equal(b.len, strlen(b.data));
    assert_true(b.len > 256);
    Co_buf_release(&b);
}

/* A document is handed over whole or not at all. */
static void buf_take_and_finish_hand_over_or_release(void **state)
{
    (void)state;
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, "{}");
    char *text = Co_buf_take(&b);
    assert_string_equal(text, "{}");
    assert_null(b.data);
    free(text);
    Co_buf_adds(&b, "{\"partial\"");
    b.failed = true; /* as an append that ran out of memory leaves it */
    assert_null(Co_buf_take(&b));
    assert_null(b.data);
    co_error err;
    co_error_clear(&err);
    char *out = NULL;
    Co_buf_adds(&b, "[1]");
    assert_int_equal(Co_buf_finish(&b, CO_OK, &out, &err), CO_OK);
    assert_string_equal(out, "[1]");
    free(out);
    out = NULL;
    Co_buf_adds(&b, "[2]");
    assert_int_equal(Co_buf_finish(&b, CO_ENOTFOUND, &out, &err), CO_ENOTFOUND);
    assert_null(out);
    assert_null(b.data);
    Co_buf_adds(&b, "[3]");
    b.failed = true;
    assert_int_equal(Co_buf_finish(&b, CO_OK, &out, &err), CO_ENOMEM);
    assert_int_equal(err.code, CO_ENOMEM);
    assert_null(out);
}

/* Co_buf_add_int writes what printf's %lld writes, extremes included. */
static void buf_adds_integers_as_printf_does(void **state)
{
    (void)state;
    const int64_t values[] = {0, 1, -1, 9, 10, -10, 1234567890123, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        co_buf got = CO_BUF_INIT;
        char want[32];
        Co_buf_adds(&got, "x");
        Co_buf_add_int(&got, values[i]);
        snprintf(want, sizeof want, "x%lld", (long long)values[i]);
        assert_string_equal(co_buf_str(&got), want);
        Co_buf_release(&got);
    }
}

static void json_escapes_and_hex(void **state)
{
    (void)state;
    co_buf b = CO_BUF_INIT;
    Co_json_str(&b, "a\"b\\c\n\x01");
    assert_string_equal(co_buf_str(&b), "\"a\\\"b\\\\c\\n\\u0001\"");
    Co_buf_reset(&b);
    co_value bad = co_text("Ab\x96z", 4);
    Co_json_value(&b, &bad);
    assert_string_equal(co_buf_str(&b), "{\"type\":\"text\",\"hex\":\"4162967a\"}");
    Co_buf_reset(&b);
    co_value null = co_null(), real = co_real(0.1), num = co_int(-42);
    Co_json_value(&b, &null);
    Co_buf_addc(&b, ' ');
    Co_json_value(&b, &num);
    Co_buf_addc(&b, ' ');
    Co_json_value(&b, &real);
    assert_string_equal(co_buf_str(&b), "null -42 0.10000000000000001");
    Co_buf_reset(&b);
    Co_json_field(&b, "{\"name\":", "x\"y");
    Co_json_field(&b, ",\"none\":", NULL);
    Co_buf_addc(&b, '}');
    assert_string_equal(co_buf_str(&b), "{\"name\":\"x\\\"y\",\"none\":null}");
    Co_buf_reset(&b);
    char *items[] = {"a", "b\"c"};
    Co_buf_addc(&b, '[');
    Co_json_strs(&b, items, 2);
    Co_buf_addc(&b, ']');
    const char *names[] = {"id", "v"};
    co_value row[] = {co_int(7), co_null()};
    Co_json_row(&b, names, row, 2);
    assert_string_equal(co_buf_str(&b), "[\"a\",\"b\\\"c\"]{\"id\":7,\"v\":null}");
    const char pairs[] = "[{\"key\":\"k1\",\"rows\":3},{\"key\":\"k2\"}]";
    struct fy_document *doc = Co_json_read(pairs, strlen(pairs));
    const char *k = NULL, *rows = NULL;
    assert_true(Co_json_pair_at(doc, 0, "key", "rows", &k, &rows));
    assert_string_equal(k, "k1");
    assert_string_equal(rows, "3");
    assert_false(Co_json_pair_at(doc, 1, "key", "rows", &k, &rows)); /* no rows */
    assert_false(Co_json_pair_at(doc, 2, "key", "rows", &k, &rows)); /* past the end */
    fy_document_destroy(doc);
    assert_int_equal(Co_hexval('0'), 0);
    assert_int_equal(Co_hexval('a'), 10);
    assert_int_equal(Co_hexval('F'), 15);
    assert_int_equal(Co_hexval('g'), -1);
    int n = 0;
    assert_true(Co_digits("2027x", 4, &n));
    assert_int_equal(n, 2027);
    assert_false(Co_digits("20x7", 4, &n));
    Co_buf_reset(&b);
    Co_buf_quote(&b, "a\"b`c", 5, '"');
    Co_buf_quote(&b, "a\"b`c", 5, '`');
    assert_string_equal(co_buf_str(&b), "\"a\"\"b`c\"`a\"b``c`");
    Co_buf_release(&b);
}

static void utf8_validation(void **state)
{
    (void)state;
    size_t bad = 99;
    assert_true(Co_utf8_valid("plain", 5, NULL));
    assert_true(Co_utf8_valid("Łukasz Wójcik 王", strlen("Łukasz Wójcik 王"), NULL));
    assert_false(Co_utf8_valid("Ab\x96z", 4, &bad));
    assert_int_equal(bad, 2);
    assert_false(Co_utf8_valid("a\0b", 3, &bad)); /* NUL is refused */
    assert_int_equal(bad, 1);
    assert_false(Co_utf8_valid("\xed\xa0\x80", 3, NULL)); /* a surrogate */
    assert_false(Co_utf8_valid("\xc3", 1, NULL));         /* truncated */
}

/* The table pieces of util/html.h write the markup the audit page, the
 * scoring pages and the report wrote by hand, text escaped, names trusted. */
static void html_tables_write_escaped_cells_and_sections(void **state)
{
    (void)state;
    co_buf b = CO_BUF_INIT;
    CO_HTML_HEAD(&b, "tenant", "entity.column");
    Co_buf_adds(&b, "<tr>");
    CO_HTML_CELLS(&b, "a<b", NULL, "it's");
    Co_html_cell_column(&b, "t&u", "c");
    Co_html_cell(&b, "t", "2026");
    Co_html_cell(&b, NULL, "\"q\"");
    Co_html_cell_count(&b, 1234567, false);
    Co_html_cell_count(&b, -5, true);
    assert_string_equal(co_buf_str(&b),
                        "<table><tr><th>tenant</th><th>entity.column</th></tr>\n<tr>"
                        "<td>a&lt;b</td><td></td><td>it&#39;s</td><td>t&amp;u.c</td>"
                        "<td class=t>2026</td><td>&quot;q&quot;</td>"
                        "<td class=n>1,234,567</td><td class=\"n bad\">-5</td>");
    Co_buf_reset(&b);
    assert_false(Co_html_section(&b, "Notes", 0, "None <i>yet</i>."));
    assert_true(Co_html_section(&b, "Rows", 3, "unused"));
    assert_string_equal(co_buf_str(&b),
                        "<h3>Notes</h3>\n<p class=muted>None <i>yet</i>.</p>\n<h3>Rows</h3>\n");
    Co_buf_release(&b);
}

/* CO_FREE frees every block listed, NULL ones included (ASan and valgrind
 * see a leak or a double free). */
static void free_all_frees_each_block(void **state)
{
    (void)state;
    char *a = strdup("a"), *b = malloc(16), *none = NULL;
    int *c = calloc(4, sizeof *c);
    assert_non_null(a);
    CO_FREE(a, b, none, c);
    CO_FREE(none);
}

static void arrays_grow_by_doubling_and_keep_contents(void **state)
{
    (void)state;
    int *a = NULL;
    size_t cap = 0;
    assert_true(CO_GROW(a, cap, 1, 4));
    assert_int_equal(cap, 4);
    for (int i = 0; i < 4; i++)
        a[i] = i * 7;
    assert_true(CO_GROW(a, cap, 4, 4)); /* room enough: nothing changes */
    assert_int_equal(cap, 4);
    assert_true(CO_GROW(a, cap, 9, 4)); /* doubles until it holds 9 */
    assert_int_equal(cap, 16);
    for (int i = 0; i < 4; i++)
        assert_int_equal(a[i], i * 7);
    size_t before = cap;
    assert_false(CO_GROW(a, cap, SIZE_MAX, 4)); /* too large: left as it was */
    assert_int_equal(cap, before);
    assert_false(CO_RESIZE(a, SIZE_MAX / 2));
    assert_int_equal(a[3], 21);
    assert_true(CO_RESIZE(a, 2)); /* shrinks too */
    assert_int_equal(a[1], 7);
    free(a);
    char *none = NULL;
    size_t zero = 0;
    assert_true(CO_GROW(none, zero, 3, 0)); /* first 0 still makes room */
    assert_true(zero >= 3);
    free(none);
}

static void map_puts_gets_and_grows(void **state)
{
    (void)state;
    co_map m;
    Co_map_init(&m);
    char key[32], val[32];
    for (int i = 0; i < 100000; i++) {
        int kl = snprintf(key, sizeof key, "k%d", i), vl = snprintf(val, sizeof val, "v%d", i * 2);
        assert_true(Co_map_put(&m, key, (size_t)kl, val, (size_t)vl));
    }
    assert_int_equal(co_map_count(&m), 100000);
    const char *got;
    size_t len;
    assert_true(Co_map_get(&m, "k77777", 6, &got, &len));
    assert_int_equal(len, 7);
    assert_memory_equal(got, "v155554", 7);
    assert_false(Co_map_get(&m, "k100000", 7, NULL, NULL));
    assert_true(Co_map_put(&m, "k1", 2, "replaced", 8)); /* a replacement keeps the count */
    assert_int_equal(co_map_count(&m), 100000);
    assert_true(Co_map_get(&m, "k1", 2, &got, &len));
    assert_int_equal(len, 8);
    assert_memory_equal(got, "replaced", 8);
    Co_map_release(&m);
}

static void map_adds_only_new_keys_and_reserves_room(void **state)
{
    (void)state;
    co_map m;
    Co_map_init(&m);
    assert_true(Co_map_reserve(&m, 5000));
    size_t cap = m.cap;
    assert_true(cap * 3 >= 5000 * 4);
    char key[32];
    for (int i = 0; i < 5000; i++) {
        int kl = snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(Co_map_add(&m, key, (size_t)kl, "first", 5), 1);
    }
    assert_int_equal(m.cap, cap); /* reserved: filling it rehashed nothing */
    assert_int_equal(co_map_count(&m), 5000);
    /* A key already there is reported and keeps its value. */
    assert_int_equal(Co_map_add(&m, "k42", 3, "second", 6), 0);
    assert_int_equal(co_map_count(&m), 5000);
    const char *got;
    size_t len;
    assert_true(Co_map_get(&m, "k42", 3, &got, &len));
    assert_int_equal(len, 5);
    assert_memory_equal(got, "first", 5);
    /* Reserving less than it holds changes nothing; more keeps every entry. */
    assert_true(Co_map_reserve(&m, 10));
    assert_int_equal(m.cap, cap);
    assert_true(Co_map_reserve(&m, 100000));
    assert_true(m.cap > cap);
    assert_true(Co_map_get(&m, "k4999", 5, &got, &len));
    assert_memory_equal(got, "first", 5);
    assert_int_equal(co_map_count(&m), 5000);
    Co_map_release(&m);
}

static void keys_encode_canonically_and_round_trip(void **state)
{
    (void)state;
    co_buf b = CO_BUF_INIT, storage = CO_BUF_INIT;
    co_value vals[4] = {co_int(42), co_text("tech \"ai\"", 9), co_null(), co_real(2.5)};
    Co_key_encode(&b, vals, 4);
    assert_string_equal(co_buf_str(&b), "[42,\"tech \\\"ai\\\"\",null,2.5]");
    co_value out[4];
    size_t n = 0;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(Co_key_decode(b.data, out, 4, &n, &storage, &err), CO_OK);
    assert_int_equal(n, 4);
    assert_int_equal(out[0].type, CO_INT);
    assert_int_equal(out[0].i, 42);
    assert_int_equal(out[1].type, CO_TEXT);
    assert_int_equal(out[1].len, 9);
    assert_memory_equal(out[1].s, "tech \"ai\"", 9);
    assert_int_equal(out[2].type, CO_NULL);
    assert_int_equal(out[3].type, CO_REAL);
    assert_true(out[3].r == 2.5);

    /* Text spelling a canonical integer is that integer; "042" stays text. */
    Co_buf_reset(&b);
    co_value as_text = co_text("42", 2);
    Co_key_encode(&b, &as_text, 1);
    assert_string_equal(co_buf_str(&b), "[42]");
    Co_buf_reset(&b);
    co_value padded = co_text("042", 3);
    Co_key_encode(&b, &padded, 1);
    assert_string_equal(co_buf_str(&b), "[\"042\"]");

    /* Invalid UTF-8 and blobs survive as typed hex. */
    Co_buf_reset(&b);
    Co_buf_reset(&storage);
    co_value odd[2] = {co_text("M\x96ller", 6), {.type = CO_BLOB, .s = "\x00\x01", .len = 2}};
    Co_key_encode(&b, odd, 2);
    assert_int_equal(Co_key_decode(b.data, out, 4, &n, &storage, &err), CO_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].type, CO_TEXT);
    assert_memory_equal(out[0].s, "M\x96ller", 6);
    assert_int_equal(out[1].type, CO_BLOB);
    assert_int_equal(out[1].len, 2);
    assert_memory_equal(out[1].s, "\x00\x01", 2);

    assert_int_equal(Co_key_decode("not a key", out, 4, &n, &storage, &err), CO_EINTERNAL);
    Co_buf_release(&b);
    Co_buf_release(&storage);
}

static void clock_parses_and_formats(void **state)
{
    (void)state;
    char buf[32];
    time_t t = Co_clock_parse("2026-11-01T12:30:00Z");
    assert_true(t > 0);
    Co_clock_iso(t, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-01T12:30:00Z");
    assert_int_equal(Co_clock_parse("2026-11-01") + 12 * 3600 + 30 * 60, t);
    assert_int_equal(Co_clock_parse("2026-13-01"), -1);
    assert_int_equal(Co_clock_parse("yesterday"), -1);
    setenv("CUTOVER_NOW", "2030-01-02T03:04:05Z", 1);
    assert_int_equal(Co_clock_now(), Co_clock_parse("2030-01-02T03:04:05Z"));
    unsetenv("CUTOVER_NOW");
}

/* Pauses last what they say (seconds with a fraction, milliseconds), and
 * one of no time returns at once. */
static void pauses_last_what_they_say(void **state)
{
    (void)state;
    double t0 = Co_clock_mono();
    Co_pause(0.25);
    double t1 = Co_clock_mono();
    assert_true(t1 - t0 >= 0.25);
    Co_pause_ms(120);
    double t2 = Co_clock_mono();
    assert_true(t2 - t1 >= 0.12);
    Co_pause(0);
    Co_pause(-3);
    Co_pause_ms(0);
    assert_true(Co_clock_mono() - t2 < 0.1);
}

static void errors_carry_code_message_and_context(void **state)
{
    (void)state;
    co_error err;
    co_error_clear(&err);
    assert_int_equal(co_error_set(&err, CO_ETARGET, "insert into %s failed", "contacts"), CO_ETARGET);
    co_error_where(&err, "entity %s", "contacts");
    co_error_where(&err, "tenant %d", 7);
    assert_string_equal(err.message, "insert into contacts failed");
    assert_string_equal(err.where, "entity contacts, tenant 7");
    assert_string_equal(co_code_name(CO_ETARGET), "target");
    assert_string_equal(co_code_name((co_code)999), "unknown");
    assert_int_equal(co_error_set(NULL, CO_EIO, "ignored"), CO_EIO);
}

static void uris_are_masked(void **state)
{
    (void)state;
    co_buf b = CO_BUF_INIT;
    Co_uri_mask("postgresql://admin:hunter2@db.example:5432/crm?sslmode=require", &b);
    assert_string_equal(co_buf_str(&b), "postgresql://admin:***@db.example:5432/crm?sslmode=require");
    Co_buf_reset(&b);
    Co_uri_mask("postgres://u:p%40ss@w@h/db", &b); /* the last '@' ends the user info */
    assert_string_equal(co_buf_str(&b), "postgres://u:***@h/db");
    Co_buf_reset(&b);
    Co_uri_mask("postgresql://h/db?user=u&password=s3cret&sslmode=require", &b);
    assert_string_equal(co_buf_str(&b), "postgresql://h/db?user=u&password=***&sslmode=require");
    assert_null(strstr(co_buf_str(&b), "s3cret"));
    Co_buf_reset(&b);
    Co_uri_mask("sqlite:data/legacy.db", &b);
    assert_string_equal(co_buf_str(&b), "sqlite:data/legacy.db");
    Co_buf_reset(&b);
    Co_uri_scheme("mysql://root:pw@h", &b);
    assert_string_equal(co_buf_str(&b), "mysql");
    Co_buf_reset(&b);
    Co_uri_scheme("no scheme at all", &b);
    assert_string_equal(co_buf_str(&b), "(none)");
    Co_buf_reset(&b);
    Co_uri_mask("host=db port=5432 password=s3cret dbname=crm", &b); /* libpq key=value */
    assert_string_equal(co_buf_str(&b), "host=db port=5432 password=*** dbname=crm");
    Co_buf_release(&b);
}

static void secrets_are_masked_in_messages(void **state)
{
    (void)state;
    char text[] = "password authentication failed: hunter2 (hunter2) for user";
    Co_secret_mask(text, "hunter2");
    assert_string_equal(text, "password authentication failed: *** (***) for user");
    char word[] = "the pw is ab";
    Co_secret_mask(word, "ab"); /* too short to mask: it would hide ordinary words */
    assert_string_equal(word, "the pw is ab");
    Co_secret_mask(word, NULL);
    assert_string_equal(word, "the pw is ab");
}

static void conninfo_strings_and_bare_paths(void **state)
{
    (void)state;
    assert_true(Co_uri_is_conninfo("host=db.internal dbname=crm user=cutover"));
    assert_true(Co_uri_is_conninfo("dbname=crm"));
    assert_true(Co_uri_is_conninfo("host='a b' password=x"));
    assert_false(Co_uri_is_conninfo("postgresql://h/db?user=u")); /* a URI, not key=value */
    assert_false(Co_uri_is_conninfo("sqlite:legacy.db"));
    assert_false(Co_uri_is_conninfo("legacy.db"));
    assert_false(Co_uri_is_conninfo("nosuchkeyword=1"));
    assert_false(Co_uri_is_conninfo("host=db dbname"));
    assert_true(Co_uri_is_bare_path("legacy.db"));
    assert_true(Co_uri_is_bare_path("./data/x.sqlite"));
    assert_true(Co_uri_is_bare_path("/var/lib/a:b.db")); /* the ':' after a '/' */
    assert_false(Co_uri_is_bare_path("sqlite:legacy.db"));
    assert_false(Co_uri_is_bare_path("mysql://root@h/db"));
    assert_false(Co_uri_is_bare_path("host=db"));
    assert_false(Co_uri_is_bare_path(""));
}

/* The first 8 bytes of MD5(text), big-endian: what PostgreSQL's
 * ('x' || substr(md5(text), 1, 16))::bit(64)::bigint gives. */
static uint64_t md5_64(const char *text)
{
    co_md5 m;
    unsigned char d[16];
    Co_md5_init(&m);
    Co_md5_update(&m, text, strlen(text));
    Co_md5_final(&m, d);
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h = h << 8 | d[i];
    return h;
}

static void row_digests_are_md5_of_canonical_text(void **state)
{
    (void)state;
    /* RFC 1321's test vectors, one of them across a block boundary */
    assert_true(md5_64("") == 0xd41d8cd98f00b204ull);
    assert_true(md5_64("abc") == 0x900150983cd24fb0ull);
    assert_true(md5_64("12345678901234567890123456789012345678901234567890123456789012345678901234567890") ==
                0x57edf4a22be3c955ull);
    co_value a[7] = {co_int(7), co_real(1.5e-07), co_real(1.2e20), co_text("héllo", 6),
                     co_null(), co_real(-0.5), {.type = CO_BLOB, .s = "\x00\xff", .len = 2}};
    /* the text PostgreSQL writes for the same values (pg_digest.c) */
    assert_true(Co_row_digest(a, 7) ==
                md5_64("I7;R0.00000015;R120000000000000000000;T6:héllo" "N;R-0.5;B00ff;"));
    co_value b[3] = {co_real(7.0), co_text("7", 1), co_real(1e300 * 1e300)};
    assert_true(Co_row_digest(b, 3) == md5_64("I7;I7;RInfinity;"));
    co_value c[2] = {co_real(123.25), co_text("042", 3)};
    assert_true(Co_row_digest(c, 2) == md5_64("R123.25;T3:042"));
}

static void row_hashes_are_canonical(void **state)
{
    (void)state;
    co_value a[3] = {co_int(7), co_text("x", 1), co_null()};
    co_value b[3] = {co_real(7.0), co_text("x", 1), co_null()};   /* 7.0 counts as 7 */
    co_value c[3] = {co_text("7", 1), co_text("x", 1), co_null()}; /* text "7" counts as 7 */
    co_value d[3] = {co_int(7), co_text("x", 1), co_text("", 0)};  /* '' is not NULL */
    co_value e[3] = {co_int(7), co_null(), co_text("x", 1)};       /* order counts */
    co_value f[2] = {co_text("ab", 2), co_text("c", 1)};
    co_value g[2] = {co_text("a", 1), co_text("bc", 2)};           /* boundaries count */
    assert_true(Co_row_hash(a, 3) == Co_row_hash(b, 3));
    assert_true(Co_row_hash(a, 3) == Co_row_hash(c, 3));
    assert_true(Co_row_hash(a, 3) != Co_row_hash(d, 3));
    assert_true(Co_row_hash(a, 3) != Co_row_hash(e, 3));
    assert_true(Co_row_hash(f, 2) != Co_row_hash(g, 2));
    co_value r1 = co_real(0.1 + 0.2), r2 = co_real(0.3), r3 = co_real(0.31);
    assert_true(Co_value_same(&r1, &r2)); /* equal at 15 significant digits */
    assert_false(Co_value_same(&r2, &r3));
    co_value t1 = co_text("042", 3), i1 = co_int(42);
    assert_false(Co_value_same(&t1, &i1)); /* not a canonical integer */
    co_value blob = {.type = CO_BLOB, .s = "x", .len = 1};
    assert_false(Co_value_same(&blob, &a[1])); /* a blob is not text */
}

/* CSV cells go out quoted when they must and come back as they were, quoted
 * line breaks included; a quote left open is named by file and line. */
static void csv_round_trips(void **state)
{
    (void)state;
    const char *cells[] = {"plain", "a,b", "say \"hi\"", "two\nlines", " edge ", ""};
    co_buf b = CO_BUF_INIT;
    for (size_t i = 0; i < 6; i++) {
        Co_buf_adds(&b, i ? "," : "");
        Co_csv_cell(&b, cells[i], strlen(cells[i]));
    }
    assert_string_equal(co_buf_str(&b), "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" edge \",");
    Co_buf_adds(&b, "\r\n\nnext,row\n");
    FILE *in = fmemopen(b.data, b.len, "rb");
    assert_non_null(in);
    co_csv_reader r;
    Co_csv_init(&r, in, "x.csv");
    co_error err;
    bool more;
    assert_int_equal(Co_csv_next(&r, &more, &err), CO_OK);
    assert_true(more);
    assert_int_equal(r.n, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(Co_csv_cell_at(&r, i), cells[i]);
    assert_int_equal(r.line, 1);
    assert_int_equal(Co_csv_next(&r, &more, &err), CO_OK);
    assert_true(more);
    assert_int_equal(r.line, 4); /* the quoted break, then a blank line */
    assert_string_equal(Co_csv_cell_at(&r, 1), "row");
    assert_int_equal(Co_csv_next(&r, &more, &err), CO_OK);
    assert_false(more);
    Co_csv_release(&r);
    fclose(in);
    const char bad[] = "a,b\n\"open,c\n";
    in = fmemopen((void *)bad, strlen(bad), "rb");
    Co_csv_init(&r, in, "bad.csv");
    assert_int_equal(Co_csv_next(&r, &more, &err), CO_OK);
    assert_int_equal(Co_csv_next(&r, &more, &err), CO_EUSAGE);
    assert_non_null(strstr(err.message, "bad.csv:2"));
    Co_csv_release(&r);
    fclose(in);
    Co_buf_release(&b);
}

static void counts_have_separators_and_plurals_agree(void **state)
{
    (void)state;
    char c[CO_FMT_COUNT], p[CO_FMT_PLURAL];
    assert_string_equal(Co_fmt_count(c, 0), "0");
    assert_string_equal(Co_fmt_count(c, 999), "999");
    assert_string_equal(Co_fmt_count(c, 1000), "1,000");
    assert_string_equal(Co_fmt_count(c, 5896), "5,896");
    assert_string_equal(Co_fmt_count(c, 123456), "123,456");
    assert_string_equal(Co_fmt_count(c, 1234567), "1,234,567");
    assert_string_equal(Co_fmt_count(c, -1234567), "-1,234,567");
    assert_string_equal(Co_fmt_count(c, -999), "-999");
    assert_string_equal(Co_fmt_count(c, INT64_MAX), "9,223,372,036,854,775,807");
    assert_string_equal(Co_fmt_count(c, INT64_MIN), "-9,223,372,036,854,775,808");
    assert_true(strlen(c) < CO_FMT_COUNT);
    assert_string_equal(Co_fmt_plural(p, 1, "difference", "differences"), "1 difference");
    assert_string_equal(Co_fmt_plural(p, 0, "difference", "differences"), "0 differences");
    assert_string_equal(Co_fmt_plural(p, 2, "tenant", "tenants"), "2 tenants");
    assert_string_equal(Co_fmt_plural(p, 5896, "row", "rows"), "5,896 rows");
    assert_string_equal(Co_fmt_plural(p, -1, "day", "days"), "-1 day");
    assert_string_equal(Co_fmt_plural(p, 3, "entity", "entities"), "3 entities");
    assert_string_equal(Co_fmt_noun(1, "is", "are"), "is");
    co_buf b = CO_BUF_INIT;
    Co_buf_add_count(&b, 29602);
    Co_buf_adds(&b, "; ");
    Co_buf_add_plural(&b, 1, "tenant", "tenants");
    Co_buf_adds(&b, "; ");
    Co_buf_add_plural(&b, 1000, "tenant", "tenants");
    assert_string_equal(co_buf_str(&b), "29,602; 1 tenant; 1,000 tenants");
    Co_buf_release(&b);
}

/* File names from tenant keys: plain keys as they are, others encoded,
 * long ones bounded and still distinct. */
static void key_file_names_are_encoded_and_bounded(void **state)
{
    (void)state;
    co_buf b = CO_BUF_INIT;
    Co_key_file_name(&b, "42");
    assert_string_equal(co_buf_str(&b), "42");
    Co_buf_reset(&b);
    Co_key_file_name(&b, "acme_EU-2.b");
    assert_string_equal(co_buf_str(&b), "acme_EU-2.b");
    Co_buf_reset(&b);
    Co_key_file_name(&b, "a,b/../.x");
    assert_string_equal(co_buf_str(&b), "a%2Cb%2F..%2F.x");
    Co_buf_reset(&b);
    Co_key_file_name(&b, ".hidden");
    assert_string_equal(co_buf_str(&b), "%2Ehidden");
    char long_key[301], other[301];
    memset(long_key, 'k', 300);
    long_key[300] = '\0';
    memcpy(other, long_key, sizeof other);
    other[299] = 'j';
    Co_buf_reset(&b);
    Co_key_file_name(&b, long_key);
    char first[128];
    snprintf(first, sizeof first, "%s", co_buf_str(&b));
    assert_true(strlen(first) <= CO_KEY_FILE_NAME_MAX);
    assert_int_equal(strlen(first), 64 + 1 + 16);
    assert_int_equal(first[64], '~');
    Co_buf_reset(&b);
    Co_key_file_name(&b, other);
    assert_string_not_equal(co_buf_str(&b), first);
    /* a %XX is never cut in two */
    char commas[101];
    memset(commas, ',', 100);
    commas[100] = '\0';
    Co_buf_reset(&b);
    Co_key_file_name(&b, commas);
    assert_int_equal(strchr(co_buf_str(&b), '~') - co_buf_str(&b), 63);
    Co_buf_release(&b);
}

/* Values compared as a column of the declared type stores them: typed pairs
 * are one value, near misses stay apart. */
static bool same_in(const char *decl, co_value a, co_value b)
{
    co_canon_type t = Co_canon_type_of(decl);
    char x[CO_CANON_TEXT_MAX], y[CO_CANON_TEXT_MAX];
    co_value ca = Co_canon_value(t, a, x), cb = Co_canon_value(t, b, y);
    return Co_row_hash(&ca, 1) == Co_row_hash(&cb, 1) && Co_value_same(&ca, &cb);
}

#define T(s) co_text(s, strlen(s))

static void values_compare_in_their_declared_type(void **state)
{
    (void)state;
    /* the types, by declaration */
    assert_int_equal(Co_canon_type_of("INTEGER").kind, CO_CANON_INTEGER);
    assert_int_equal(Co_canon_type_of("bigint").kind, CO_CANON_INTEGER);
    assert_int_equal(Co_canon_type_of("double precision").kind, CO_CANON_REAL);
    assert_int_equal(Co_canon_type_of("NUMERIC").kind, CO_CANON_REAL);
    co_canon_type money = Co_canon_type_of("numeric(10,2)");
    assert_int_equal(money.kind, CO_CANON_DECIMAL);
    assert_int_equal(money.scale, 2);
    assert_int_equal(Co_canon_type_of("date").kind, CO_CANON_DATE);
    assert_int_equal(Co_canon_type_of("timestamp without time zone").kind, CO_CANON_TIMESTAMP);
    assert_int_equal(Co_canon_type_of("timestamp with time zone").kind, CO_CANON_TIMESTAMPTZ);
    assert_int_equal(Co_canon_type_of("TIMESTAMPTZ").kind, CO_CANON_TIMESTAMPTZ);
    assert_int_equal(Co_canon_type_of("boolean").kind, CO_CANON_BOOLEAN);
    assert_int_equal(Co_canon_type_of("VARCHAR(20)").kind, CO_CANON_ANY);
    assert_int_equal(Co_canon_type_of("interval").kind, CO_CANON_ANY);
    assert_int_equal(Co_canon_type_of("").kind, CO_CANON_ANY);
    /* names for SQL read back */
    char name[32];
    co_canon_type back;
    Co_canon_type_name(money, name, sizeof name);
    assert_string_equal(name, "decimal(2)");
    assert_true(Co_canon_type_parse(name, &back));
    assert_true(back.kind == CO_CANON_DECIMAL && back.scale == 2);
    assert_false(Co_canon_type_parse("decimal(x)", &back));
    assert_false(Co_canon_type_parse("text", &back));

    /* typed pairs */
    assert_true(same_in("REAL", T("1.50"), co_real(1.5)));
    assert_true(same_in("REAL", T("1.5"), T("1.50")));
    assert_true(same_in("double precision", T("0.10"), co_real(0.1)));
    assert_true(same_in("REAL", T("2"), co_int(2)));
    assert_true(same_in("NUMERIC", T("1100.04"), co_real(1100.04)));
    assert_true(same_in("INTEGER", T("0042"), co_int(42)));
    assert_true(same_in("INTEGER", T(" 42 "), co_int(42)));
    assert_true(same_in("INTEGER", T("42.0"), co_int(42)));
    assert_true(same_in("numeric(10,2)", co_real(1.505), T("1.51")));
    assert_true(same_in("numeric(10,2)", T("4.2"), T("4.20")));
    assert_true(same_in("DATE", T("2024-01-05"), T("2024-01-05 00:00:00")));
    assert_true(same_in("DATE", T("2024-01-05T00:00:00Z"), T("2024-01-05")));
    assert_true(same_in("TIMESTAMP", T("2024-01-05T10:00"), T("2024-01-05 10:00:00")));
    assert_true(same_in("TIMESTAMP", T("2024-01-05 10:00:00.500"), T("2024-01-05 10:00:00.5")));
    assert_true(same_in("TIMESTAMP", T("2024-01-05"), T("2024-01-05 00:00:00")));
    assert_true(same_in("timestamptz", T("2024-01-05T10:00:00+02:00"), T("2024-01-05 08:00:00+00")));
    assert_true(same_in("timestamptz", T("2024-01-05 23:30:00-01:00"), T("2024-01-06 00:30:00Z")));
    assert_true(same_in("timestamptz", T("2024-01-01 00:30:00+0100"), T("2023-12-31 23:30:00")));
    assert_true(same_in("timestamptz", T("2024-03-01 00:00:00+01"), T("2024-02-29 23:00:00 UTC")));
    assert_true(same_in("boolean", T("t"), co_int(1)));
    assert_true(same_in("boolean", T("TRUE"), T("1")));
    assert_true(same_in("boolean", T("no"), co_int(0)));
    assert_true(same_in("boolean", co_real(0), T("f")));

    /* near misses */
    assert_false(same_in("REAL", T("1.5"), co_real(1.6)));
    assert_false(same_in("REAL", T("1.5x"), co_real(1.5)));
    assert_false(same_in("INTEGER", T("abc"), co_int(0)));
    assert_false(same_in("INTEGER", T("0x10"), co_int(16)));
    assert_false(same_in("INTEGER", T("1.5"), co_int(1)));
    assert_false(same_in("numeric(10,2)", T("1.50"), T("1.51")));
    assert_false(same_in("DATE", T("2024-01-05"), T("2024-01-06")));
    assert_false(same_in("TIMESTAMP", T("2024-01-05 10:00:00"), T("2024-01-05 10:00:01")));
    assert_false(same_in("timestamptz", T("2024-01-05T10:00:00+02:00"), T("2024-01-05 10:00:00Z")));
    assert_false(same_in("boolean", T("t"), co_int(0)));
    assert_false(same_in("boolean", T("maybe"), co_int(1)));
    assert_false(same_in("REAL", co_null(), co_real(0)));
    assert_false(same_in("TEXT", T("0042"), co_int(42))); /* text keeps its bytes */
    /* what the type cannot read stays as it is */
    char buf[CO_CANON_TEXT_MAX];
    co_value kept = Co_canon_value(Co_canon_type_of("INTEGER"), T("abc"), buf);
    assert_int_equal(kept.type, CO_TEXT);
    assert_int_equal(kept.len, 3);
}

/* MySQL's declared types (information_schema's COLUMN_TYPE), and integers
 * beyond 64 bits (BIGINT UNSIGNED) compared digit for digit. */
static void mysql_types_compare_in_their_declared_type(void **state)
{
    (void)state;
    /* labels never make a type: an ENUM of 'INT' and 'DATE' is text */
    assert_int_equal(Co_canon_type_of("enum('INT','DATE','1.5')").kind, CO_CANON_ANY);
    assert_int_equal(Co_canon_type_of("set('CHAR','BOOL')").kind, CO_CANON_ANY);
    assert_int_equal(Co_canon_type_of("linestring").kind, CO_CANON_ANY); /* holds "INT" */
    assert_int_equal(Co_canon_type_of("multipolygon").kind, CO_CANON_ANY);
    assert_int_equal(Co_canon_type_of("tinyint(1)").kind, CO_CANON_BOOLEAN);
    assert_int_equal(Co_canon_type_of("tinyint(1) unsigned").kind, CO_CANON_BOOLEAN);
    assert_int_equal(Co_canon_type_of("tinyint(4)").kind, CO_CANON_INTEGER);
    assert_int_equal(Co_canon_type_of("bit(1)").kind, CO_CANON_BOOLEAN);
    assert_int_equal(Co_canon_type_of("bit(16)").kind, CO_CANON_INTEGER);
    assert_int_equal(Co_canon_type_of("year(4)").kind, CO_CANON_INTEGER);
    assert_int_equal(Co_canon_type_of("bigint(20) unsigned").kind, CO_CANON_INTEGER);
    assert_int_equal(Co_canon_type_of("datetime(6)").kind, CO_CANON_TIMESTAMP);
    assert_int_equal(Co_canon_type_of("time").kind, CO_CANON_ANY);
    assert_int_equal(Co_canon_type_of("decimal(18,6)").scale, 6);

    /* PostgreSQL's true into MySQL's TINYINT(1), and BIT(1) */
    assert_true(same_in("tinyint(1)", T("t"), co_int(1)));
    assert_true(same_in("bit(1)", T("false"), co_int(0)));
    assert_false(same_in("tinyint(1)", T("t"), co_int(2)));
    assert_true(same_in("year", T("2019"), co_int(2019)));

    /* BIGINT UNSIGNED above 2^63-1: exact, not as a real */
    assert_true(same_in("bigint unsigned", T("18446744073709551615"), T("18446744073709551615")));
    assert_true(same_in("numeric(20,0)", T("+018446744073709551615"), T("18446744073709551615")));
    assert_false(same_in("bigint unsigned", T("18446744073709551615"), T("18446744073709551614")));
    assert_false(same_in("INTEGER", T("18446744073709551615"), co_real(18446744073709551615.0)));
    assert_true(same_in("INTEGER", T("-9223372036854775808"), co_int(INT64_MIN)));
    char buf[CO_CANON_TEXT_MAX];
    co_value big = Co_canon_value(Co_canon_type_of("numeric(20)"), T(" 0018446744073709551616 "), buf);
    assert_int_equal(big.type, CO_TEXT);
    assert_int_equal(big.len, 20);
    assert_memory_equal(big.s, "18446744073709551616", 20);
}

/* Integers in canonical text: every int64_t, nothing else. */
static void text_as_int_is_exact(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_true(Co_text_as_int("9223372036854775807", 19, &v));
    assert_true(v == INT64_MAX);
    assert_true(Co_text_as_int("-9223372036854775808", 20, &v));
    assert_true(v == INT64_MIN);
    assert_true(Co_text_as_int("-42", 3, &v) && v == -42);
    assert_true(Co_text_as_int("0", 1, &v) && v == 0);
    assert_false(Co_text_as_int("9223372036854775808", 19, &v));
    assert_false(Co_text_as_int("-9223372036854775809", 20, &v));
    assert_false(Co_text_as_int("99999999999999999999", 20, &v));
    assert_false(Co_text_as_int("-0", 2, &v));
    assert_false(Co_text_as_int("042", 3, &v));
    assert_false(Co_text_as_int("+1", 2, &v));
    assert_false(Co_text_as_int("1 ", 2, &v));
    assert_false(Co_text_as_int("-", 1, &v));
    assert_false(Co_text_as_int("1a", 2, &v));
}

/* The key set answers as a hash set of the key strings would, over keys
 * that ascend in runs, jump back, repeat, and are not integers at all. */
static void keyset_answers_as_a_hash_set(void **state)
{
    (void)state;
    co_keyset ks;
    co_map ref;
    Co_keyset_init(&ks);
    Co_map_init(&ref);
    Co_keyset_hint(&ks, 64);
    uint64_t x = 88172645463325252ull; /* xorshift: the same sequence every run */
    char key[48];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        static int64_t next = 1000;
        int pick = (int)(x % 100);
        if (pick < 80)
            next++; /* the common case: the next key */
        else if (pick < 90)
            next = (int64_t)(x >> 40) % 5000 - 100; /* anywhere, negative too */
        else if (pick < 95)
            next += 2; /* a gap */
        if (pick == 99)
            snprintf(key, sizeof key, "[\"k%d\"]", (int)(x >> 50) % 300);
        else if (pick == 98)
            snprintf(key, sizeof key, "[%lld,1]", (long long)next);
        else if (pick == 97)
            snprintf(key, sizeof key, "[%s]", (x >> 60) % 2 ? "9223372036854775807" : "-9223372036854775808");
        else
            snprintf(key, sizeof key, "[%lld]", (long long)next);
        int want = Co_map_add(&ref, key, strlen(key), "", 0);
        int got = Co_keyset_add(&ks, key, strlen(key));
        if (want != got)
            fail_msg("key %s (step %d): the set says %d, a hash set %d", key, i, got, want);
    }
    Co_keyset_release(&ks);
    Co_map_release(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_grows_and_formats),
        cmocka_unit_test(text_as_int_is_exact),
        cmocka_unit_test(keyset_answers_as_a_hash_set),
        cmocka_unit_test(buf_take_and_finish_hand_over_or_release),
        cmocka_unit_test(buf_adds_integers_as_printf_does),
        cmocka_unit_test(counts_have_separators_and_plurals_agree),
        cmocka_unit_test(json_escapes_and_hex),
        cmocka_unit_test(utf8_validation),
        cmocka_unit_test(map_puts_gets_and_grows),
        cmocka_unit_test(arrays_grow_by_doubling_and_keep_contents),
        cmocka_unit_test(html_tables_write_escaped_cells_and_sections),
        cmocka_unit_test(free_all_frees_each_block),
        cmocka_unit_test(map_adds_only_new_keys_and_reserves_room),
        cmocka_unit_test(keys_encode_canonically_and_round_trip),
        cmocka_unit_test(clock_parses_and_formats),
        cmocka_unit_test(pauses_last_what_they_say),
        cmocka_unit_test(errors_carry_code_message_and_context),
        cmocka_unit_test(uris_are_masked),
        cmocka_unit_test(secrets_are_masked_in_messages),
        cmocka_unit_test(conninfo_strings_and_bare_paths),
        cmocka_unit_test(row_hashes_are_canonical),
        cmocka_unit_test(row_digests_are_md5_of_canonical_text),
        cmocka_unit_test(values_compare_in_their_declared_type),
        cmocka_unit_test(mysql_types_compare_in_their_declared_type),
        cmocka_unit_test(csv_round_trips),
        cmocka_unit_test(key_file_names_are_encoded_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
