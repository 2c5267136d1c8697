/* test_normalize.c: normal forms for matching: Unicode case folding, names,
 * domains (Punycode included), e-mails; and the per-code-point steps that the
 * PostgreSQL functions take, against the C functions, on every code point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dedupe/normalize.h"
#include "dedupe/normalize_pg.h"
#include "dedupe/punycode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static co_buf b; /* the last result; released at the end */

static const char *fold(bool (*fn)(const char *, size_t, co_buf *), const char *s)
{
    Co_buf_reset(&b);
    if (!fn(s, strlen(s), &b))
        return "(none)";
    return co_buf_str(&b);
}

/* Both spellings give one form, which is not "(none)". */
static void same(bool (*fn)(const char *, size_t, co_buf *), const char *x, const char *y)
{
    co_buf first = CO_BUF_INIT;
    Co_buf_adds(&first, fold(fn, x));
    assert_string_not_equal(co_buf_str(&first), "(none)");
    assert_string_equal(co_buf_str(&first), fold(fn, y));
    Co_buf_release(&first);
}

static void casefold_unicode(void **state)
{
    (void)state;
    assert_string_equal(fold(Co_norm_casefold, "  CNN.com "), "cnn.com");
    assert_string_equal(fold(Co_norm_casefold, "Straße"), "strasse");
    same(Co_norm_casefold, "Straße", "STRASSE");
    same(Co_norm_casefold, "STRAẞE", "strasse"); /* capital sharp s */
    /* composed é and e + combining acute are one form */
    same(Co_norm_casefold, "Caf\xc3\xa9", "Cafe\xcc\x81");
    same(Co_norm_casefold, "CAF\xc3\x89", "cafe\xcc\x81");
    /* full-width letters fold to ASCII, a no-break space is trimmed */
    assert_string_equal(fold(Co_norm_casefold, "\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3"), "abc");
    assert_string_equal(fold(Co_norm_casefold, "\xc2\xa0" "Abc\xe3\x80\x80"), "abc");
    /* final sigma, Cherokee (folds to upper case), ligatures, soft hyphen */
    assert_string_equal(fold(Co_norm_casefold, "ΣΊΣΥΦΟΣ"), "σίσυφοσ");
    same(Co_norm_casefold, "ΣΊΣΥΦΟΣ", "σίσυφος");
    same(Co_norm_casefold, "ꮳꮃꭹ", "ᏣᎳᎩ");
    assert_string_equal(fold(Co_norm_casefold, "\xef\xac\x81le"), "file"); /* ﬁ */
    assert_string_equal(fold(Co_norm_casefold, "Mül\xc2\xadler"), "müller");
    assert_string_equal(fold(Co_norm_casefold, ""), "");
    assert_string_equal(fold(Co_norm_casefold, "M\x96ller"), "(none)"); /* not UTF-8 */
}

/* Narrows [*t, *t + *len) to leave out the bytes of blanks at either end. */
static void trim_ends(const char **t, size_t *len, const char *blanks)
{
    while (*len && **t && strchr(blanks, **t)) {
        (*t)++;
        (*len)--;
    }
    while (*len && (*t)[*len - 1] && strchr(blanks, (*t)[*len - 1]))
        (*len)--;
}

/* toNFKC_Casefold of s through utf8proc, as Co_norm_casefold does for text
 * that is not ASCII, with white space trimmed at either end. */
static void fold_reference(const char *s, size_t len, co_buf *out)
{
    utf8proc_uint8_t *nfkd = NULL, *folded = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &nfkd,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE);
    assert_true(n >= 0);
    n = utf8proc_map(nfkd, n, &folded,
                     UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE |
                         UTF8PROC_COMPOSE);
    assert_true(n >= 0);
    const char *f = (const char *)folded;
    size_t flen = (size_t)n;
    trim_ends(&f, &flen, " \t\n\r");
    Co_buf_add(out, f, flen);
    free(nfkd);
    free(folded);
}

/* ASCII skips utf8proc (normalize.c): the same form as utf8proc gives, for
 * every ASCII byte (NUL included) and for random ASCII text. */
static void casefold_ascii(void **state)
{
    (void)state;
    co_buf got = CO_BUF_INIT, want = CO_BUF_INIT;
    char text[48];
    unsigned seed = 12345;
    for (int i = 0; i < 128 + 2000; i++) {
        size_t len;
        if (i < 128) {
            text[0] = 'x';
            text[1] = (char)i;
            text[2] = 'Y';
            len = 3;
        } else {
            seed = seed * 1103515245u + 12345u;
            len = (seed >> 16) % sizeof text;
            for (size_t j = 0; j < len; j++) {
                seed = seed * 1103515245u + 12345u;
                unsigned r = (seed >> 16) % 160;
                text[j] = r < 128 ? (char)r : " \tAZaz@.-_"[r % 10]; /* blanks and letters often */
            }
        }
        Co_buf_reset(&got);
        Co_buf_reset(&want);
        assert_true(Co_norm_casefold(text, len, &got));
        fold_reference(text, len, &want);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.len ? got.data : "", want.len ? want.data : "", got.len);
    }
    Co_buf_release(&got);
    Co_buf_release(&want);
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(fold(Co_norm_name, "  Müller-Lüdenscheidt, Jr."), "muller ludenscheidt jr");
    same(Co_norm_name, "  Müller-Lüdenscheidt, Jr.", "MULLER LUDENSCHEIDT JR");
    same(Co_norm_name, "Jos\xc3\xa9 Mar\xc3\xad" "a", "JOSE\xcc\x81  MARI\xcc\x81" "A"); /* composed, decomposed */
    same(Co_norm_name, "Straße", "STRASSE");
    same(Co_norm_name, "\xef\xbc\xaa\xef\xbd\x8f\xef\xbd\x88\xef\xbd\x8e", "john"); /* full-width */
    assert_string_equal(fold(Co_norm_name, "O'Brien\t&  Sons"), "o brien sons"); /* & is punctuation */
    assert_string_equal(fold(Co_norm_name, "A+B $5"), "a+b $5"); /* symbols stay */
    same(Co_norm_name, "Dvořák—Ǆemal", "dvorak dzemal");
    same(Co_norm_name, "ᾀ", "α\xcc\x93\xcd\x85"); /* the iota subscript is a mark either way */
    assert_string_equal(fold(Co_norm_name, " -- "), "");
    assert_string_equal(fold(Co_norm_name, "M\x96ller"), "(none)");
}

static void domains(void **state)
{
    (void)state;
    assert_string_equal(fold(Co_norm_domain, "https://www.CNN.com/politics?x=1"), "cnn.com");
    assert_string_equal(fold(Co_norm_domain, "Jane.Doe@CNN.com"), "cnn.com");
    assert_string_equal(fold(Co_norm_domain, "cnn.com."), "cnn.com");
    assert_string_equal(fold(Co_norm_domain, "www.bbc.co.uk:443"), "bbc.co.uk");
    assert_string_equal(fold(Co_norm_domain, "http://user:pw@www.Example.org:8080/a@b.c"), "example.org");
    assert_string_equal(fold(Co_norm_domain, "//cdn.example.net/x.js"), "cdn.example.net");
    assert_string_equal(fold(Co_norm_domain, "www.com"), "www.com");
    assert_string_equal(fold(Co_norm_domain, "ＷＷＷ．ＣＮＮ．ＣＯＭ"), "cnn.com");
    assert_string_equal(fold(Co_norm_domain, "例え。テスト"), "例え.テスト");
    /* internationalized names: the Unicode form, whichever way they come */
    assert_string_equal(fold(Co_norm_domain, "xn--mnchen-3ya.de"), "münchen.de");
    same(Co_norm_domain, "https://www.XN--MNCHEN-3YA.DE/", "MÜNCHEN.de.");
    same(Co_norm_domain, "Mu\xcc\x88nchen.de", "münchen.de");
    same(Co_norm_domain, "xn--strae-oqa.de", "STRASSE.de"); /* for matching: ß is ss */
    assert_string_equal(fold(Co_norm_domain, "XN--AB_C.com"), "xn--ab_c.com"); /* not Punycode */
    assert_string_equal(fold(Co_norm_domain, "localhost"), "(none)");
    assert_string_equal(fold(Co_norm_domain, "a..b"), "(none)");
    assert_string_equal(fold(Co_norm_domain, "[::1]:80"), "(none)");
    assert_string_equal(fold(Co_norm_domain, ""), "(none)");
}

static void emails(void **state)
{
    (void)state;
    assert_string_equal(fold(Co_norm_email, " Jane.Doe@CNN.com "), "jane.doe@cnn.com");
    assert_string_equal(fold(Co_norm_email, "J.Doe+News@GoogleMail.com"), "jdoe@gmail.com");
    same(Co_norm_email, "j.doe+x@gmail.com", "JDOE@gmail.com.");
    assert_string_equal(fold(Co_norm_email, "j.doe+news@example.com"), "j.doe+news@example.com");
    assert_string_equal(fold(Co_norm_email, "Straße@Example.com"), "strasse@example.com");
    assert_string_equal(fold(Co_norm_email, "ｊａｎｅ＠ｃｎｎ．ｃｏｍ"), "jane@cnn.com");
    assert_string_equal(fold(Co_norm_email, "jane@xn--mnchen-3ya.de"), "jane@münchen.de");
    assert_string_equal(fold(Co_norm_email, "+news@gmail.com"), "(none)");
    assert_string_equal(fold(Co_norm_email, "jane@"), "(none)");
    assert_string_equal(fold(Co_norm_email, "@cnn.com"), "(none)");
    assert_string_equal(fold(Co_norm_email, "jane@localhost"), "(none)");
    assert_string_equal(fold(Co_norm_email, "john.doe(at)cnn.com"), "(none)");
}

static const char *puny(const char *s)
{
    Co_buf_reset(&b);
    if (!Co_punycode_decode(s, strlen(s), &b))
        return "(none)";
    return co_buf_str(&b);
}

static void punycode(void **state)
{
    (void)state;
    assert_string_equal(puny("mnchen-3ya"), "münchen");
    assert_string_equal(puny("bcher-kva"), "bücher");
    assert_string_equal(puny("BCHER-KVA"), "BüCHER"); /* basic code points as written */
    /* RFC 3492 7.1 (A) Arabic, (L) Japanese with ASCII */
    assert_string_equal(puny("egbpdaj6bu4bxfgehfvwxn"), "ليهمابتكلموشعربي؟");
    assert_string_equal(puny("3B-ww4c5e180e575a65lsy2b"), "3年B組金八先生");
    assert_string_equal(puny("-> $1.00 <--"), "(none)"); /* all basic: no A-label */
    assert_string_equal(puny("abc-"), "(none)");
    assert_string_equal(puny("99999999999"), "(none)"); /* overflow */
    assert_string_equal(puny("a\xc3\xbc-3ya"), "(none)");
    assert_string_equal(puny("mnchen-3y!"), "(none)");
}

/* What the PostgreSQL functions compute, step by step (normalize_pg.c),
 * with utf8proc standing in for normalize(). */
static void emulate(const char *s, bool name, co_buf *out)
{
    utf8proc_uint8_t *d = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)strlen(s), &d,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE);
    assert_true(n >= 0);
    co_buf stepped = CO_BUF_INIT, f = CO_BUF_INIT;
    for (utf8proc_ssize_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t len = utf8proc_iterate(d + i, n - i, &cp);
        Co_buf_reset(&f);
        switch (Co_norm_pg_step_of(cp, name, &f)) {
        case CO_NORM_PG_KEEP: Co_buf_add(&stepped, d + i, (size_t)len); break;
        case CO_NORM_PG_DROP: break;
        case CO_NORM_PG_SPACE:
            if (stepped.len && stepped.data[stepped.len - 1] != ' ')
                Co_buf_addc(&stepped, ' ');
            break;
        case CO_NORM_PG_FOLD: Co_buf_add(&stepped, f.data, f.len); break;
        }
        i += len;
    }
    free(d);
    const char *t = co_buf_str(&stepped);
    size_t tlen = stepped.len;
    trim_ends(&t, &tlen, name ? " " : " \t\n\r");
    utf8proc_uint8_t *c = NULL;
    n = utf8proc_map((const utf8proc_uint8_t *)t, (utf8proc_ssize_t)tlen, &c,
                     UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    assert_true(n >= 0);
    Co_buf_add(out, c, (size_t)n);
    free(c);
    Co_buf_release(&stepped);
    Co_buf_release(&f);
}

static void postgresql_steps(void **state)
{
    (void)state;
    co_buf want = CO_BUF_INIT, got = CO_BUF_INIT;
    size_t checked = 0;
    for (int32_t cp = 1; cp <= 0x10ffff; cp++) {
        if ((cp >= 0xd800 && cp <= 0xdfff) ||
            (utf8proc_category(cp) == UTF8PROC_CATEGORY_CN && !utf8proc_get_property(cp)->ignorable))
            continue;
        char in[16];
        utf8proc_uint8_t u[4];
        int n = (int)utf8proc_encode_char(cp, u);
        snprintf(in, sizeof in, "A%.*s\xcc\x81" "b", n, (const char *)u); /* with an acute after */
        for (int name = 0; name < 2; name++) {
            Co_buf_reset(&want);
            Co_buf_reset(&got);
            assert_true((name ? Co_norm_name : Co_norm_casefold)(in, strlen(in), &want));
            emulate(in, name, &got);
            if (strcmp(co_buf_str(&want), co_buf_str(&got)) != 0)
                fail_msg("U+%04X (%s): C gives [%s], the PostgreSQL steps [%s]", (unsigned)cp,
                         name ? "name_norm" : "casefold", co_buf_str(&want), co_buf_str(&got));
        }
        checked++;
    }
    assert_true(checked > 100000);
    Co_buf_release(&want);
    Co_buf_release(&got);
}

static void postgresql_sql(void **state)
{
    (void)state;
    co_buf sql = CO_BUF_INIT, stamp = CO_BUF_INIT;
    Co_norm_pg_sql(&sql);
    Co_norm_pg_stamp(&stamp);
    assert_false(sql.failed);
    const char *s = co_buf_str(&sql);
    const char *fns[] = {"cutover_norm.casefold(x text)", "cutover_norm.email_norm(x text)",
                         "cutover_norm.domain_norm(x text)", "cutover_norm.name_norm(x text)"};
    for (size_t i = 0; i < 4; i++)
        assert_non_null(strstr(s, fns[i]));
    assert_non_null(strstr(s, co_buf_str(&stamp)));
    for (const char *p = s; *p; p++) /* ASCII only: the tables are escapes */
        assert_true((unsigned char)*p < 0x80);
    Co_buf_release(&sql);
    Co_buf_release(&stamp);
}

static int teardown(void **state)
{
    (void)state;
    Co_buf_release(&b);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(casefold_unicode),
        cmocka_unit_test(casefold_ascii),
        cmocka_unit_test(names),
        cmocka_unit_test(domains),
        cmocka_unit_test(emails),
        cmocka_unit_test(punycode),
        cmocka_unit_test(postgresql_steps),
        cmocka_unit_test(postgresql_sql),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
