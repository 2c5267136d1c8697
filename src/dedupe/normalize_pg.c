/*
 * normalize_pg.c: the normalizers as PostgreSQL functions (normalize_pg.h).
 *
 * normalize.c lets utf8proc fold and decompose each code point, then
 * composes. PostgreSQL has normalize() but no case folding (lower() is not
 * one: ß, final sigma, Cherokee; and with the C locale it leaves all but
 * ASCII alone), so the functions made here take the text to NFKD with
 * normalize(), then apply per code point what utf8proc would (tables
 * written out from utf8proc below: regexp_replace drops code points and
 * makes spaces, translate() and replace() fold), then compose with
 * normalize(NFC). Text that is all ASCII takes a short path with the same
 * result. Domain and e-mail rules are the same steps as normalize.c's,
 * written again in PL/pgSQL: change both together.
 */
#include "dedupe/normalize_pg.h"
#include "dedupe/normalize.h"

#include <stdlib.h>
#include <utf8proc.h>

#define FOLD_OPTIONS                                                                        \
    (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE |               \
     UTF8PROC_DECOMPOSE)
#define MAX_CP 0x10ffff
#define FOLD_MAX 18 /* the longest decomposed folding of one code point is 3 */

static bool is_mark(utf8proc_int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

static bool nfkd_stable(utf8proc_int32_t cp)
{
    utf8proc_int32_t d[FOLD_MAX];
    int boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(
        cp, d, FOLD_MAX, UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE, &boundclass);
    return n == 1 && d[0] == cp;
}

static void add_utf8(co_buf *out, utf8proc_int32_t cp)
{
    utf8proc_uint8_t u[4];
    utf8proc_ssize_t n = utf8proc_encode_char(cp, u);
    Co_buf_add(out, u, (size_t)n);
}

co_norm_pg_step Co_norm_pg_step_of(int32_t cp, bool name, co_buf *fold)
{
    if (cp < 0 || cp > MAX_CP || (cp >= 0xd800 && cp <= 0xdfff) || !nfkd_stable(cp))
        return CO_NORM_PG_KEEP;
    if (utf8proc_get_property(cp)->ignorable || (name && is_mark(cp)))
        return CO_NORM_PG_DROP;
    if (name && Co_norm_name_space(cp))
        return CO_NORM_PG_SPACE;
    utf8proc_int32_t d[FOLD_MAX];
    int boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(cp, d, FOLD_MAX, FOLD_OPTIONS, &boundclass);
    if (n < 0 || n > FOLD_MAX || (n == 1 && d[0] == cp))
        return CO_NORM_PG_KEEP;
    for (utf8proc_ssize_t i = 0; i < n; i++)
        add_utf8(fold, d[i]);
    return CO_NORM_PG_FOLD;
}

void Co_norm_pg_stamp(co_buf *out)
{
    Co_buf_printf(out, "cutover normalizers 1; Unicode %s", utf8proc_unicode_version());
}

/* ---- the tables, as SQL ------------------------------------------------------------ */

/* One code point in a regular expression or an E'' literal. */
static void escape_cp(co_buf *out, int32_t cp)
{
    if (cp <= 0xffff)
        Co_buf_printf(out, "\\u%04x", (unsigned)cp);
    else
        Co_buf_printf(out, "\\U%08x", (unsigned)cp);
}

/* The step of every code point, for plain text and for names. */
typedef struct steps {
    unsigned char *plain, *name;
} steps;

static bool steps_init(steps *st)
{
    st->plain = malloc(MAX_CP + 1);
    st->name = malloc(MAX_CP + 1);
    if (!st->plain || !st->name)
        return false;
    co_buf scratch = CO_BUF_INIT;
    for (int32_t cp = 0; cp <= MAX_CP; cp++) {
        Co_buf_reset(&scratch);
        st->plain[cp] = (unsigned char)Co_norm_pg_step_of(cp, false, &scratch);
        Co_buf_reset(&scratch);
        st->name[cp] = (unsigned char)Co_norm_pg_step_of(cp, true, &scratch);
    }
    Co_buf_release(&scratch);
    return true;
}

static void steps_release(steps *st)
{
    free(st->plain);
    free(st->name);
}

/* A regular expression of one bracket expression, of the code points from
 * first on whose step is want, then suffix: '[\u00ad\u034f-\u0350...]+'. */
static void bracket(co_buf *out, const unsigned char *step, co_norm_pg_step want, int32_t first,
                    const char *suffix)
{
    Co_buf_adds(out, "'[");
    int32_t from = -1, last = -1;
    for (int32_t cp = first; cp <= MAX_CP + 1; cp++) {
        bool in = cp <= MAX_CP && step[cp] == want;
        if (in && from >= 0 && cp == last + 1) {
            last = cp;
            continue;
        }
        if (from >= 0) {
            escape_cp(out, from);
            if (last > from) {
                Co_buf_addc(out, '-');
                escape_cp(out, last);
            }
        }
        from = last = in ? cp : -1;
    }
    Co_buf_printf(out, "]%s'", suffix);
}

/* The folding of NFKD text in t: ASCII letters, then, when t has any other
 * code point that folds, the table (one-for-one by translate(), longer
 * foldings by replace()). */
static void fold_sql(co_buf *out, const steps *st)
{
    co_buf from = CO_BUF_INIT, to = CO_BUF_INIT, longer = CO_BUF_INIT, f = CO_BUF_INIT;
    for (int32_t cp = 0x80; cp <= MAX_CP; cp++) {
        if (st->plain[cp] != CO_NORM_PG_FOLD)
            continue;
        Co_buf_reset(&f);
        Co_norm_pg_step_of(cp, false, &f);
        utf8proc_int32_t d[FOLD_MAX];
        utf8proc_ssize_t n = utf8proc_decompose((const utf8proc_uint8_t *)f.data,
                                                (utf8proc_ssize_t)f.len, d, FOLD_MAX, 0);
        if (n == 1) {
            escape_cp(&from, cp);
            escape_cp(&to, d[0]);
            continue;
        }
        Co_buf_adds(&longer, "    t := replace(t, E'");
        escape_cp(&longer, cp);
        Co_buf_adds(&longer, "', E'");
        for (utf8proc_ssize_t i = 0; i < n; i++)
            escape_cp(&longer, d[i]);
        Co_buf_adds(&longer, "');\n");
    }
    Co_buf_adds(out, "  t := translate(t, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
                     "'abcdefghijklmnopqrstuvwxyz');\n  IF t ~ ");
    bracket(out, st->plain, CO_NORM_PG_FOLD, 0x80, "");
    Co_buf_printf(out, " THEN\n    t := translate(t, E'%s', E'%s');\n%s  END IF;\n",
                  co_buf_str(&from), co_buf_str(&to), co_buf_str(&longer));
    if (from.failed || to.failed || longer.failed)
        out->failed = true;
    Co_buf_release(&from);
    Co_buf_release(&to);
    Co_buf_release(&longer);
    Co_buf_release(&f);
}

#define FUNCTION(signature, language)                                                       \
    "CREATE OR REPLACE FUNCTION " CO_NORM_PG_SCHEMA "." signature                           \
    " RETURNS text LANGUAGE " language " IMMUTABLE STRICT PARALLEL SAFE AS $cutover$\n"

#define BLANKS "E' \\t\\n\\r'"
#define ASCII_ONLY "t !~ '[^\\u0001-\\u007f]'"

static const char punycode_sql[] =
    FUNCTION("punycode_decode(s text)", "plpgsql")
    "DECLARE\n"
    "  cps int[] := '{}'; n bigint := 128; i bigint := 0; bias bigint := 72; b int := 0;\n"
    "  pos int := 1; len int := length(s); oldi bigint; w bigint; k bigint; t bigint;\n"
    "  digit int; c int; cnt int; delta bigint; inserted int := 0; j int;\n"
    "BEGIN\n"
    "  j := strpos(reverse(s), '-');\n"
    "  IF j > 0 THEN b := len - j; pos := b + 2; END IF;\n"
    "  FOR q IN 1..b LOOP\n"
    "    c := ascii(substr(s, q, 1));\n"
    "    IF c >= 128 THEN RETURN NULL; END IF;\n"
    "    cps := cps || c;\n"
    "  END LOOP;\n"
    "  WHILE pos <= len LOOP\n"
    "    oldi := i; w := 1; k := 36;\n"
    "    LOOP\n"
    "      IF pos > len THEN RETURN NULL; END IF;\n"
    "      c := ascii(substr(s, pos, 1));\n"
    "      pos := pos + 1;\n"
    "      digit := CASE WHEN c BETWEEN 48 AND 57 THEN c - 22 WHEN c BETWEEN 97 AND 122 THEN c - 97\n"
    "                    WHEN c BETWEEN 65 AND 90 THEN c - 65 ELSE -1 END;\n"
    "      IF digit < 0 THEN RETURN NULL; END IF;\n"
    "      i := i + digit * w;\n"
    "      IF i > 2147483647 THEN RETURN NULL; END IF;\n"
    "      t := CASE WHEN k <= bias THEN 1 WHEN k >= bias + 26 THEN 26 ELSE k - bias END;\n"
    "      EXIT WHEN digit < t;\n"
    "      w := w * (36 - t);\n"
    "      IF w > 2147483647 THEN RETURN NULL; END IF;\n"
    "      k := k + 36;\n"
    "    END LOOP;\n"
    "    cnt := coalesce(array_length(cps, 1), 0) + 1;\n"
    "    delta := CASE WHEN oldi = 0 THEN (i - oldi) / 700 ELSE (i - oldi) / 2 END;\n"
    "    delta := delta + delta / cnt;\n"
    "    k := 0;\n"
    "    WHILE delta > 455 LOOP delta := delta / 35; k := k + 36; END LOOP;\n"
    "    bias := k + (36 * delta) / (delta + 38);\n"
    "    n := n + i / cnt;\n"
    "    i := i % cnt;\n"
    "    IF n > 1114111 OR n BETWEEN 55296 AND 57343 THEN RETURN NULL; END IF;\n"
    "    cps := cps[1:i] || n::int || cps[i + 1:cnt];\n"
    "    i := i + 1;\n"
    "    inserted := inserted + 1;\n"
    "  END LOOP;\n"
    "  IF inserted = 0 THEN RETURN NULL; END IF;\n"
    "  RETURN (SELECT string_agg(chr(v), '' ORDER BY o) FROM unnest(cps) WITH ORDINALITY AS u(v, o));\n"
    "END $cutover$;\n";

static const char domain_sql[] =
    FUNCTION("domain_folded(x text)", "plpgsql")
    "DECLARE t text COLLATE \"C\" := x; p int; labels text[]; d text;\n"
    "BEGIN\n"
    "  t := btrim(replace(t, E'\\u3002', '.'), " BLANKS ");\n"
    "  p := strpos(t, '://');\n"
    "  IF p > 0 THEN t := substr(t, p + 3); ELSIF left(t, 2) = '//' THEN t := substr(t, 3); END IF;\n"
    "  t := substring(t FROM '^[^/?#\\\\ \\t\\n\\r]*');\n"
    "  t := regexp_replace(t, '^.*@', '');\n"
    "  IF left(t, 1) = '[' THEN RETURN NULL; END IF;\n"
    "  t := btrim(split_part(t, ':', 1), '.');\n"
    "  IF t = '' THEN RETURN NULL; END IF;\n"
    "  IF strpos(t, 'xn--') > 0 THEN\n"
    "    labels := string_to_array(t, '.');\n"
    "    FOR q IN 1..array_length(labels, 1) LOOP\n"
    "      IF length(labels[q]) > 4 AND left(labels[q], 4) = 'xn--' THEN\n"
    "        d := " CO_NORM_PG_SCHEMA ".casefold(" CO_NORM_PG_SCHEMA ".punycode_decode(substr(labels[q], 5)));\n"
    "        labels[q] := coalesce(d, labels[q]);\n"
    "      END IF;\n"
    "    END LOOP;\n"
    "    t := array_to_string(labels, '.');\n"
    "  END IF;\n"
    "  IF left(t, 4) = 'www.' AND strpos(substr(t, 5), '.') > 0 THEN t := substr(t, 5); END IF;\n"
    "  IF t = '' OR strpos(t, '.') = 0 OR strpos(t, '..') > 0 OR left(t, 1) = '.' OR right(t, 1) = '.' THEN\n"
    "    RETURN NULL;\n"
    "  END IF;\n"
    "  RETURN t;\n"
    "END $cutover$;\n"
    FUNCTION("domain_norm(x text)", "sql")
    "SELECT " CO_NORM_PG_SCHEMA ".domain_folded(" CO_NORM_PG_SCHEMA ".casefold(x))\n"
    "$cutover$;\n";

static const char email_sql[] =
    FUNCTION("email_norm(x text)", "plpgsql")
    "DECLARE t text COLLATE \"C\" := " CO_NORM_PG_SCHEMA ".casefold(x); p int; l text; d text;\n"
    "BEGIN\n"
    "  p := strpos(reverse(t), '@');\n"
    "  IF p = 0 THEN RETURN NULL; END IF;\n"
    "  p := length(t) - p + 1;\n"
    "  l := btrim(left(t, p - 1), " BLANKS ");\n"
    "  d := " CO_NORM_PG_SCHEMA ".domain_folded(substr(t, p + 1));\n"
    "  IF d IS NULL THEN RETURN NULL; END IF;\n"
    "  IF d IN ('gmail.com', 'googlemail.com') THEN\n"
    "    l := replace(split_part(l, '+', 1), '.', '');\n"
    "    d := 'gmail.com';\n"
    "  END IF;\n"
    "  IF l = '' THEN RETURN NULL; END IF;\n"
    "  RETURN l || '@' || d;\n"
    "END $cutover$;\n";

void Co_norm_pg_sql(co_buf *out)
{
    steps st;
    if (!steps_init(&st)) {
        steps_release(&st);
        out->failed = true;
        return;
    }
    Co_buf_adds(out, "CREATE SCHEMA IF NOT EXISTS " CO_NORM_PG_SCHEMA ";\n");

    Co_buf_adds(out, FUNCTION("casefold(x text)", "plpgsql")
                "DECLARE t text COLLATE \"C\" := x;\n"
                "BEGIN\n"
                "  IF " ASCII_ONLY " THEN\n"
                "    RETURN btrim(translate(t, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
                "'abcdefghijklmnopqrstuvwxyz'), " BLANKS ");\n"
                "  END IF;\n"
                "  t := regexp_replace(normalize(t, NFKD), ");
    bracket(out, st.plain, CO_NORM_PG_DROP, 0x80, "");
    Co_buf_adds(out, ", '', 'g');\n");
    fold_sql(out, &st);
    Co_buf_adds(out, "  RETURN btrim(normalize(t, NFC), " BLANKS ");\n"
                     "END $cutover$;\n");

    Co_buf_adds(out, FUNCTION("name_norm(x text)", "plpgsql")
                "DECLARE t text COLLATE \"C\" := x;\n"
                "BEGIN\n"
                "  IF " ASCII_ONLY " THEN\n"
                "    t := translate(t, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
                "'abcdefghijklmnopqrstuvwxyz');\n"
                "  ELSE\n"
                "  t := regexp_replace(normalize(t, NFKD), ");
    bracket(out, st.name, CO_NORM_PG_DROP, 0x80, "");
    Co_buf_adds(out, ", '', 'g');\n");
    fold_sql(out, &st);
    Co_buf_adds(out, "  END IF;\n  t := btrim(regexp_replace(t, ");
    bracket(out, st.name, CO_NORM_PG_SPACE, 1, "+");
    Co_buf_adds(out, ", ' ', 'g'), ' ');\n"
                     "  RETURN normalize(t, NFC);\n"
                     "END $cutover$;\n");

    Co_buf_adds(out, punycode_sql);
    Co_buf_adds(out, domain_sql);
    Co_buf_adds(out, email_sql);

    Co_buf_adds(out, "COMMENT ON FUNCTION " CO_NORM_PG_SCHEMA ".name_norm(text) IS '");
    Co_norm_pg_stamp(out);
    Co_buf_adds(out, "';\n");
    steps_release(&st);
}
