/*
 * test_project.c: the project-file parser (include/cutover/project.h): a full
 * file and its defaults, every kind of error with its message and its
 * FILE:LINE:COLUMN, loading from disk, the hash, lookups and the starter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/project.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The three required top-level keys but entities, for building test files. */
#define HEAD                                                                                   \
    "source: sqlite:legacy.db\n"                                                               \
    "target: sqlite:new.db\n"                                                                  \
    "tenants: SELECT id, name FROM accounts\n"

/* One minimal entity, at lines 5-8 after HEAD and "entities:". */
#define ONE_ENTITY                                                                             \
    "entities:\n"                                                                              \
    "  - name: contacts\n"                                                                     \
    "    key: id\n"                                                                            \
    "    query: SELECT id FROM contacts WHERE account_id = :tenant\n"

static co_code parse(const char *text, co_project **out, co_error *err)
{
    co_error_clear(err);
    return co_project_parse(text, strlen(text), "t.yaml", "/proj", out, err);
}

/* Parses text, which must fail with code; checks that *out is NULL, that the
 * message holds `part` and that where is exactly `where`. */
static void expect_fail(const char *text, co_code code, const char *part, const char *where)
{
    co_error err;
    co_project *p = (co_project *)(uintptr_t)1; /* must be reset to NULL */
    co_code got = parse(text, &p, &err);
    if (got != code || !strstr(err.message, part) || strcmp(err.where, where) != 0)
        print_error("text:\n%s\ngot code %d, message \"%s\", where \"%s\"\n", text, (int)got,
                    err.message, err.where);
    assert_int_equal(got, code);
    assert_int_equal(err.code, code);
    assert_null(p);
    assert_non_null(strstr(err.message, part));
    assert_string_equal(err.where, where);
}

static co_project *parse_ok(const char *text)
{
    co_error err;
    co_project *p = NULL;
    co_code got = parse(text, &p, &err);
    if (got != CO_OK)
        print_error("text:\n%s\nunexpected error: %s (%s)\n", text, err.message, err.where);
    assert_int_equal(got, CO_OK);
    assert_non_null(p);
    return p;
}

/* ---- valid files ---- */

static const char full_text[] =
    "# every key\n"                                                   /* 1 */
    "source: sqlite:legacy.db\n"                                      /* 2 */
    "target: postgresql://app@db.example/crm\n"                       /* 3 */
    "staging: sqlite:staging.db\n"                                    /* 4 */
    "state: sqlite:journal/state.db\n"                                /* 5 */
    "tenants: SELECT id, name FROM accounts ORDER BY id\n"            /* 6 */
    "options:\n"                                                      /* 7 */
    "  batch_size: 500\n"                                             /* 8 */
    "  rejects_dir: out/rejects\n"                                    /* 9 */
    "entities:\n"                                                     /* 10 */
    "  - name: teams\n"                                               /* 11 */
    "    key: team_id\n"                                              /* 12 */
    "    query: 'SELECT team_id FROM teams'\n"                        /* 13 */
    "  - name: contacts\n"                                            /* 14 */
    "    target: crm_contacts\n"                                      /* 15 */
    "    key: [id]\n"                                                 /* 16 */
    "    tenant_column: account_id\n"                                 /* 17 */
    "    query: |\n"                                                  /* 18 */
    "      SELECT id, account_id, team_id\n"                          /* 19 */
    "      FROM contacts WHERE account_id = :tenant\n"                /* 20 */
    "    refs:\n"                                                     /* 21 */
    "      team_id: teams\n"                                          /* 22 */
    "  - key:\n"                                                      /* 23 */
    "      - id\n"                                                    /* 24 */
    "      - line\n"                                                  /* 25 */
    "    name: _notes2\n"                                             /* 26 */
    "    query: SELECT id, line, contact_id FROM notes\n"             /* 27 */
    "    refs: {contact_id: contacts, team_id: teams}\n";             /* 28 */

static void test_full_file(void **state)
{
    (void)state;
    co_project *p = parse_ok(full_text);
    assert_string_equal(p->path, "t.yaml");
    assert_string_equal(p->dir, "/proj");
    assert_string_equal(p->source, "sqlite:legacy.db");
    assert_string_equal(p->target, "postgresql://app@db.example/crm");
    assert_string_equal(p->staging, "sqlite:staging.db");
    assert_string_equal(p->state, "sqlite:journal/state.db");
    assert_string_equal(p->tenants_query, "SELECT id, name FROM accounts ORDER BY id");
    assert_int_equal(p->batch_size, 500);
    assert_string_equal(p->rejects_dir, "out/rejects");
    assert_int_equal(p->nentities, 3);

    const co_entity *teams = &p->entities[0];
    assert_string_equal(teams->name, "teams");
    assert_string_equal(teams->target, "teams");
    assert_int_equal(teams->nkey, 1);
    assert_string_equal(teams->key[0], "team_id");
    assert_string_equal(teams->query, "SELECT team_id FROM teams");
    assert_null(teams->tenant_column);
    assert_int_equal(teams->nrefs, 0);
    assert_int_equal(teams->mark.line, 11);
    assert_int_equal(teams->mark.column, 5);
    assert_int_equal(teams->query_mark.line, 13); /* inside the quotes */
    assert_int_equal(teams->query_mark.column, 13);

    const co_entity *contacts = &p->entities[1];
    assert_string_equal(contacts->name, "contacts");
    assert_string_equal(contacts->target, "crm_contacts");
    assert_int_equal(contacts->nkey, 1);
    assert_string_equal(contacts->key[0], "id");
    assert_string_equal(contacts->tenant_column, "account_id");
    assert_string_equal(contacts->query, "SELECT id, account_id, team_id\n"
                                         "FROM contacts WHERE account_id = :tenant");
    assert_int_equal(contacts->mark.line, 14);
    assert_int_equal(contacts->query_mark.line, 19); /* the block's first line */
    assert_int_equal(contacts->query_mark.column, 7);
    assert_int_equal(contacts->nrefs, 1);
    assert_string_equal(contacts->refs[0].column, "team_id");
    assert_string_equal(contacts->refs[0].entity, "teams");
    assert_int_equal(contacts->refs[0].mark.line, 22);
    assert_int_equal(contacts->refs[0].mark.column, 7);

    const co_entity *notes = &p->entities[2];
    assert_string_equal(notes->name, "_notes2");
    assert_string_equal(notes->target, "_notes2");
    assert_int_equal(notes->nkey, 2);
    assert_string_equal(notes->key[0], "id");
    assert_string_equal(notes->key[1], "line");
    assert_int_equal(notes->mark.line, 23);
    assert_int_equal(notes->query_mark.line, 27);
    assert_int_equal(notes->query_mark.column, 12);
    assert_int_equal(notes->nrefs, 2);
    assert_string_equal(notes->refs[0].column, "contact_id");
    assert_string_equal(notes->refs[0].entity, "contacts");
    assert_string_equal(notes->refs[1].column, "team_id");
    assert_string_equal(notes->refs[1].entity, "teams");
    co_project_free(p);
}

static void test_defaults(void **state)
{
    (void)state;
    co_project *p = parse_ok(HEAD ONE_ENTITY);
    assert_null(p->staging);
    assert_string_equal(p->state, "sqlite:.cutover/state.db");
    assert_int_equal(p->batch_size, 50000);
    assert_string_equal(p->rejects_dir, ".cutover/rejects");
    assert_int_equal(p->nentities, 1);
    assert_string_equal(p->entities[0].target, "contacts"); /* target defaults to name */
    assert_null(p->entities[0].tenant_column);
    assert_null(p->entities[0].refs);
    assert_int_equal(p->entities[0].nrefs, 0);
    co_project_free(p);

    /* An empty options mapping keeps the defaults too. */
    p = parse_ok(HEAD "options: {}\n" ONE_ENTITY);
    assert_int_equal(p->batch_size, 50000);
    assert_string_equal(p->rejects_dir, ".cutover/rejects");
    co_project_free(p);
}

static void test_name_and_dir_defaults(void **state)
{
    (void)state;
    co_error err;
    co_project *p = NULL;
    const char *text = HEAD ONE_ENTITY;
    assert_int_equal(co_project_parse(text, strlen(text), NULL, NULL, &p, &err), CO_OK);
    assert_string_equal(p->path, "<string>");
    assert_string_equal(p->dir, ".");
    co_project_free(p);
}

static void test_block_query_positions(void **state)
{
    (void)state;
    /* An explicit indentation indicator keeps two spaces in the text: the
     * text starts two columns left of the first non-space character. */
    co_project *p = parse_ok(HEAD "entities:\n"
                                  "  - name: a\n"
                                  "    key: id\n"
                                  "    query: |2\n"
                                  "        SELECT id\n"
                                  "        FROM a\n");
    assert_string_equal(p->entities[0].query, "  SELECT id\n  FROM a" /* trailing blanks and ; are dropped */);
    assert_int_equal(p->entities[0].query_mark.line, 8);
    assert_int_equal(p->entities[0].query_mark.column, 7);
    co_project_free(p);

    /* Folded, stripped, after a blank line. */
    p = parse_ok(HEAD "entities:\n"
                      "  - name: a\n"
                      "    key: id\n"
                      "    query: >-\n"
                      "\n"
                      "       SELECT id\n");
    assert_string_equal(p->entities[0].query, "\nSELECT id");
    assert_int_equal(p->entities[0].query_mark.line, 8);
    assert_int_equal(p->entities[0].query_mark.column, 8);
    co_project_free(p);
}

static void test_anchors_and_merge_keys(void **state)
{
    (void)state;
    co_project *p = parse_ok(HEAD "entities:\n"
                                  "  - &base\n"
                                  "    name: a\n"
                                  "    key: &k [id, kind]\n"
                                  "    tenant_column: account_id\n"
                                  "    query: SELECT 1\n"
                                  "  - <<: *base\n"
                                  "    name: b\n"
                                  "    key: *k\n");
    assert_int_equal(p->nentities, 2);
    assert_string_equal(p->entities[1].name, "b");
    assert_int_equal(p->entities[1].nkey, 2);
    assert_string_equal(p->entities[1].key[1], "kind");
    assert_string_equal(p->entities[1].tenant_column, "account_id");
    assert_string_equal(p->entities[1].query, "SELECT 1");
    co_project_free(p);
}

static void test_uri_forms(void **state)
{
    (void)state;
    co_project *p = parse_ok("source: postgresql://u@h:5432/legacy?sslmode=require\n"
                             "target: postgres://u@h/crm\n"
                             "state: sqlite:///var/lib/cutover/state.db\n"
                             "tenants: SELECT 1\n" ONE_ENTITY);
    assert_string_equal(p->source, "postgresql://u@h:5432/legacy?sslmode=require");
    assert_string_equal(p->target, "postgres://u@h/crm");
    assert_string_equal(p->state, "sqlite:///var/lib/cutover/state.db");
    co_project_free(p);
    p = parse_ok("source: mysql://u@h:3306/legacy?socket=/s.sock\n"
                 "target: mariadb://u@h/crm\n"
                 "tenants: SELECT 1\n" ONE_ENTITY);
    assert_string_equal(p->source, "mysql://u@h:3306/legacy?socket=/s.sock");
    assert_string_equal(p->target, "mariadb://u@h/crm");
    co_project_free(p);

    expect_fail("source: oracle://x\ntarget: sqlite:b.db\ntenants: SELECT 1\n" ONE_ENTITY,
                CO_EPROJECT, "\"source\" has an unknown scheme \"oracle\"", "t.yaml:1:9");
    expect_fail("source: sqlite:a.db\ntarget: legacy.db\ntenants: SELECT 1\n" ONE_ENTITY,
                CO_EPROJECT, "\"target\" has no scheme", "t.yaml:2:9");
    expect_fail(HEAD "staging: \"sqlite:\"\n" ONE_ENTITY, CO_EPROJECT,
                "\"staging\" names no file", "t.yaml:4:11");
    expect_fail(HEAD "state: Server=x;Password=hunter2\n" ONE_ENTITY, CO_EPROJECT,
                "\"state\" has no scheme", "t.yaml:4:8");
}

static void test_uri_error_hides_password(void **state)
{
    (void)state;
    co_error err;
    co_project *p = NULL;
    const char *text = "source: oracle://admin:hunter2@db/legacy\n"
                       "target: sqlite:b.db\ntenants: SELECT 1\n" ONE_ENTITY;
    assert_int_equal(parse(text, &p, &err), CO_EPROJECT);
    assert_non_null(strstr(err.message, "oracle"));
    assert_null(strstr(err.message, "hunter2"));
    assert_null(strstr(err.where, "hunter2"));
}

/* ---- malformed YAML and the document's shape ---- */

static void test_malformed_yaml(void **state)
{
    (void)state;
    expect_fail("source: sqlite:a.db\ntarget: [1,\n", CO_EPROJECT, "invalid YAML",
                "t.yaml:3:1");
    expect_fail("source: sqlite:a.db\nsource: sqlite:b.db\n", CO_EPROJECT, "duplicate key",
                "t.yaml:2:1");
    expect_fail(HEAD "entities:\n  - name: a\n    key: *nope\n", CO_EPROJECT, "invalid alias",
                "t.yaml:6:11");
}

static void test_document_shape(void **state)
{
    (void)state;
    expect_fail("", CO_EPROJECT, "the project file is empty", "t.yaml:1:1");
    expect_fail("# only a comment\n", CO_EPROJECT, "the project file is empty", "t.yaml:1:1");
    expect_fail("- source\n- target\n", CO_EPROJECT, "must be a mapping", "t.yaml:1:1");
    expect_fail(HEAD ONE_ENTITY "---\nsource: sqlite:other.db\n", CO_EPROJECT,
                "must hold one YAML document", "t.yaml:8:1");
}

static void test_library_never_prints(void **state)
{
    (void)state;
    char path[] = "/tmp/test_project_stderr_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    assert_true(saved_out >= 0 && saved_err >= 0);
    assert_int_equal(dup2(fd, 1), 1);
    assert_int_equal(dup2(fd, 2), 2);

    co_error err;
    co_project *p = NULL;
    co_code c1 = parse("a: [1,\n", &p, &err);
    co_code c2 = parse("a: 1\na: 2\n  b: {\n", &p, &err);
    co_code c3 = parse(HEAD "entities:\n  - name: a\n    key: *nope\n", &p, &err);

    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    close(fd);
    unlink(path);
    assert_int_equal(c1, CO_EPROJECT);
    assert_int_equal(c2, CO_EPROJECT);
    assert_int_equal(c3, CO_EPROJECT);
    assert_int_equal(st.st_size, 0);
}

/* ---- unknown and missing keys ---- */

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_fail(HEAD "sorce: sqlite:x.db\n" ONE_ENTITY, CO_EPROJECT,
                "unknown key \"sorce\" at the top level (expected one of: source, target, "
                "staging, state, tenants, options, entities, capture, hooks, monitor, budgets, "
                "approvals, events, orphans, parity)",
                "t.yaml:4:1");
    expect_fail(HEAD "options:\n  batchsize: 10\n" ONE_ENTITY, CO_EPROJECT,
                "unknown key \"batchsize\" in options (expected one of: batch_size, "
                "freeze_heartbeat_seconds, retention_days, rejects_dir, reads_max_lag_seconds, "
                "pushdown_chunk_rows, purge_chunk_rows)",
                "t.yaml:5:3");
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n"
                     "    key: id\n"
                     "    qeury: SELECT 1\n",
                CO_EPROJECT,
                "unknown key \"qeury\" in entity (expected one of: name, target, key, target_key, "
                "tenant_column, query, refs, volume, verify, duplicates, follows, reverse, merge, "
                "source_table, source_tenant_column)",
                "t.yaml:7:5");
    /* merge: its rules are checked where they are written. */
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n"
                     "    key: id\n"
                     "    query: SELECT 1\n"
                     "    merge: {on: [email], columns: {title: newest(updated_at)}}\n",
                CO_EPROJECT, "the rule of column \"title\" must be a survivorship rule, not \"newest(updated_at)\"",
                "t.yaml:8:43");
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n"
                     "    key: id\n"
                     "    query: SELECT 1\n"
                     "    merge: {on: [email], survivor: union}\n",
                CO_EPROJECT, "\"survivor\" must be min, max, latest(column) or earliest(column)",
                "t.yaml:8:36");
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n"
                     "    key: id\n"
                     "    query: SELECT 1\n"
                     "    merge: {survivor: min}\n",
                CO_EPROJECT, "\"merge\" needs \"on\"", "t.yaml:8:12");
    /* similar: comparisons by name, floors, and expressions YAML split at commas. */
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n"
                     "    key: id\n"
                     "    query: SELECT 1\n"
                     "    merge: {similar: {blocks: [x], compare: [{expr: y, by: soundex}]}}\n",
                CO_EPROJECT, "\"by\" must be one of exact, jaro_winkler, levenshtein",
                "t.yaml:8:60");
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n"
                     "    key: id\n"
                     "    query: SELECT 1\n"
                     "    merge: {similar: {blocks: [x], compare: [{expr: y, by: exact, floor: 1}]}}\n",
                CO_EPROJECT, "\"floor\" must be below 1", "t.yaml:8:74");
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n"
                     "    key: id\n"
                     "    query: SELECT 1\n"
                     "    merge: {similar: {blocks: [substr(x, 1, 2)], compare: [{expr: y, by: exact}]}}\n",
                CO_EPROJECT, "unbalanced parentheses", "t.yaml:8:32");
    {
        co_project *p = parse_ok(HEAD "entities:\n"
                                      "  - name: contacts\n"
                                      "    key: id\n"
                                      "    query: SELECT 1\n"
                                      "    merge:\n"
                                      "      similar:\n"
                                      "        blocks: [\"substr(x, 1, 2)\"]\n"
                                      "        compare:\n"
                                      "          - {expr: y, by: date, floor: none, scale: 365, "
                                      "agree_at: 0.5, name: born}\n"
                                      "        review_at: 0.6\n"
                                      "        merge_at: 0.7\n");
        const co_merge *m = p->entities[0].merge;
        assert_string_equal(m->blocks[0], "substr(x, 1, 2)");
        assert_true(m->compare[0].floor < 0);
        assert_true(m->compare[0].scale == 365 && m->compare[0].agree_at == 0.5);
        assert_string_equal(m->compare[0].name, "born");
        assert_true(m->review_at == 0.6 && m->merge_at == 0.7);
        co_project_free(p);
    }
    expect_fail(HEAD "[a, b]: 1\n" ONE_ENTITY, CO_EPROJECT, "expected a key name at the top level",
                "t.yaml:4:1");
}

static void test_missing_keys(void **state)
{
    (void)state;
    expect_fail("target: sqlite:b.db\ntenants: SELECT 1\n" ONE_ENTITY, CO_EPROJECT,
                "missing required key \"source\" at the top level", "t.yaml:1:1");
    expect_fail("source: sqlite:a.db\ntenants: SELECT 1\n" ONE_ENTITY, CO_EPROJECT,
                "missing required key \"target\" at the top level", "t.yaml:1:1");
    expect_fail("source: sqlite:a.db\ntarget: sqlite:b.db\n" ONE_ENTITY, CO_EPROJECT,
                "missing required key \"tenants\" at the top level", "t.yaml:1:1");
    expect_fail("\n" HEAD, CO_EPROJECT, "missing required key \"entities\" at the top level",
                "t.yaml:2:1");
    expect_fail(HEAD "entities:\n  - key: id\n    query: SELECT 1\n", CO_EPROJECT,
                "missing required key \"name\" in entity", "t.yaml:5:5");
    expect_fail(HEAD "entities:\n  - name: contacts\n    query: SELECT 1\n", CO_EPROJECT,
                "missing required key \"key\" in entity \"contacts\"", "t.yaml:5:5");
    expect_fail(HEAD "entities:\n  - name: a\n    key: id\n    query: SELECT 1\n"
                     "  - name: b\n    key: id\n",
                CO_EPROJECT, "missing required key \"query\" in entity \"b\"", "t.yaml:8:5");
}

/* ---- wrong types and values ---- */

static void test_wrong_types(void **state)
{
    (void)state;
    expect_fail("source: {path: a.db}\ntarget: sqlite:b.db\ntenants: SELECT 1\n" ONE_ENTITY,
                CO_EPROJECT, "\"source\" must be a connection URI", "t.yaml:1:9");
    expect_fail("source: {path: a.db}\ntarget: sqlite:b.db\ntenants: SELECT 1\n" ONE_ENTITY,
                CO_EPROJECT, "not a mapping", "t.yaml:1:9");
    expect_fail("source: sqlite:a.db\ntarget: sqlite:b.db\ntenants:\n  - SELECT 1\n" ONE_ENTITY,
                CO_EPROJECT, "\"tenants\" must be a string, not a sequence", "t.yaml:4:3");
    expect_fail(HEAD "staging:\n" ONE_ENTITY, CO_EPROJECT,
                "\"staging\" must be a connection URI", "t.yaml:4:1");
    expect_fail(HEAD "options: [1]\n" ONE_ENTITY, CO_EPROJECT,
                "\"options\" must be a mapping, not a sequence", "t.yaml:4:10");
    expect_fail(HEAD "entities: contacts\n", CO_EPROJECT,
                "\"entities\" must be a sequence of entities, not a string", "t.yaml:4:11");
    expect_fail(HEAD "entities:\n  - contacts\n", CO_EPROJECT,
                "each item of \"entities\" must be a mapping", "t.yaml:5:5");
    expect_fail(HEAD "entities:\n  - name: a\n    key: {id: 1}\n    query: SELECT 1\n",
                CO_EPROJECT, "\"key\" must be a column name or a sequence of column names, "
                             "not a mapping",
                "t.yaml:6:10");
    expect_fail(HEAD "entities:\n  - name: a\n    key: [id, [x]]\n    query: SELECT 1\n",
                CO_EPROJECT, "each item of \"key\" must be a column name, not a sequence",
                "t.yaml:6:15");
    expect_fail(HEAD "entities:\n  - name: a\n    key: id\n    query: \"  \"\n", CO_EPROJECT,
                "\"query\" must be a SQL query, not blank text", "t.yaml:7:13");
    expect_fail(HEAD "entities:\n  - name: a\n    key: id\n    query: SELECT 1\n    refs: [x]\n",
                CO_EPROJECT, "\"refs\" must be a mapping of column: entity, not a sequence",
                "t.yaml:8:11");
    expect_fail(HEAD "entities:\n  - name: a\n    key: id\n    query: SELECT 1\n"
                     "    tenant_column: {x: 1}\n",
                CO_EPROJECT, "\"tenant_column\" must be a string, not a mapping", "t.yaml:8:20");
}

/* options.freeze_heartbeat_seconds: 5 by default, 1 to 3600. */
static void test_freeze_heartbeat(void **state)
{
    (void)state;
    co_project *p = parse_ok(HEAD ONE_ENTITY);
    assert_int_equal(p->freeze_heartbeat_seconds, 5);
    co_project_free(p);
    p = parse_ok(HEAD "options:\n  freeze_heartbeat_seconds: 12\n" ONE_ENTITY);
    assert_int_equal(p->freeze_heartbeat_seconds, 12);
    co_project_free(p);
    expect_fail(HEAD "options:\n  freeze_heartbeat_seconds: 0\n" ONE_ENTITY, CO_EPROJECT,
                "\"freeze_heartbeat_seconds\" must be a whole number from 1 to 3600, not 0",
                "t.yaml:5:29");
}

static void test_batch_size(void **state)
{
    (void)state;
    expect_fail(HEAD "options:\n  batch_size: 0\n" ONE_ENTITY, CO_EPROJECT,
                "\"batch_size\" must be an integer from 1 to 1000000, not \"0\"", "t.yaml:5:15");
    expect_fail(HEAD "options:\n  batch_size: abc\n" ONE_ENTITY, CO_EPROJECT,
                "\"batch_size\" must be an integer from 1 to 1000000, not \"abc\"",
                "t.yaml:5:15");
    expect_fail(HEAD "options:\n  batch_size: 2000000\n" ONE_ENTITY, CO_EPROJECT,
                "\"batch_size\" must be an integer from 1 to 1000000, not \"2000000\"",
                "t.yaml:5:15");
    expect_fail(HEAD "options:\n  batch_size: -5\n" ONE_ENTITY, CO_EPROJECT,
                "not \"-5\"", "t.yaml:5:15");
    expect_fail(HEAD "options:\n  batch_size: 99999999999999999999999\n" ONE_ENTITY,
                CO_EPROJECT, "must be an integer from 1 to 1000000", "t.yaml:5:15");
    expect_fail(HEAD "options:\n  batch_size: {n: 1}\n" ONE_ENTITY, CO_EPROJECT,
                "\"batch_size\" must be an integer from 1 to 1000000, not a mapping",
                "t.yaml:5:15");

    co_project *p = parse_ok(HEAD "options:\n  batch_size: 1000000\n" ONE_ENTITY);
    assert_int_equal(p->batch_size, 1000000);
    co_project_free(p);
    p = parse_ok(HEAD "options:\n  batch_size: 1\n" ONE_ENTITY);
    assert_int_equal(p->batch_size, 1);
    co_project_free(p);
}

/* An option of rows (1 to 10000000): dflt when not given, the value given,
 * the bounds refused with their message at t.yaml:5:COLUMN. */
static void check_rows_option(const char *name, size_t offset, size_t dflt)
{
    static const size_t given[] = {0, 1, 250000, 10000000};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++) {
        char option[64] = "", text[256];
        if (given[i])
            snprintf(option, sizeof option, "options:\n  %s: %zu\n", name, given[i]);
        snprintf(text, sizeof text, "%s%s%s", HEAD, option, ONE_ENTITY);
        co_project *p = parse_ok(text);
        assert_int_equal(*(size_t *)((char *)p + offset), given[i] ? given[i] : dflt);
        assert_int_equal(p->batch_size, 50000);
        co_project_free(p);
    }
    static const char *const bad[] = {"0", "10000001", "many"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256], msg[128], at[32];
        snprintf(text, sizeof text, "%soptions:\n  %s: %s\n%s", HEAD, name, bad[i], ONE_ENTITY);
        snprintf(msg, sizeof msg, "\"%s\" must be an integer from 1 to 10000000, not \"%s\"",
                 name, bad[i]);
        snprintf(at, sizeof at, "t.yaml:5:%zu", strlen(name) + 5);
        expect_fail(text, CO_EPROJECT, msg, at);
    }
}

/* options.pushdown_chunk_rows: 0 (batch_size) when not given, else 1 to 10000000. */
static void test_pushdown_chunk_rows(void **state)
{
    (void)state;
    check_rows_option("pushdown_chunk_rows", offsetof(co_project, pushdown_chunk_rows), 0);
}

/* options.purge_chunk_rows: 50000 when not given, else 1 to 10000000. */
static void test_purge_chunk_rows(void **state)
{
    (void)state;
    check_rows_option("purge_chunk_rows", offsetof(co_project, purge_chunk_rows), 50000);
}

static void test_entity_names(void **state)
{
    (void)state;
    expect_fail(HEAD "entities:\n  - name: 2contacts\n    key: id\n    query: SELECT 1\n",
                CO_EPROJECT, "entity name \"2contacts\" is invalid", "t.yaml:5:11");
    expect_fail(HEAD "entities:\n  - name: my-contacts\n    key: id\n    query: SELECT 1\n",
                CO_EPROJECT, "entity name \"my-contacts\" is invalid", "t.yaml:5:11");
    expect_fail(HEAD "entities:\n  - name: \"\"\n    key: id\n    query: SELECT 1\n",
                CO_EPROJECT, "\"name\" must be an entity name, not an empty string",
                "t.yaml:5:12");
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n    key: id\n    query: SELECT 1\n"
                     "  - name: contacts\n    key: id\n    query: SELECT 2\n",
                CO_EPROJECT, "entity name \"contacts\" is used twice (first at line 5)",
                "t.yaml:8:5");
}

static void test_keys(void **state)
{
    (void)state;
    expect_fail(HEAD "entities:\n  - name: a\n    key: []\n    query: SELECT 1\n", CO_EPROJECT,
                "\"key\" must name at least one column", "t.yaml:6:10");
    expect_fail(HEAD "entities:\n  - name: a\n    key: [id, kind, id]\n    query: SELECT 1\n",
                CO_EPROJECT, "\"key\" lists column \"id\" twice", "t.yaml:6:21");
    expect_fail(HEAD "entities:\n  - name: a\n    key: id, kind\n    query: SELECT 1\n",
                CO_EPROJECT, "contains a comma", "t.yaml:6:10");
}

/* duplicates: one rule (column: normalizer), or named rules with on and query. */
static void test_duplicates_rules(void **state)
{
    (void)state;
    co_project *p = parse_ok(HEAD "entities:\n  - name: a\n    key: id\n    query: SELECT 1\n"
                                  "    duplicates: { email: email, last: name }\n");
    const co_entity *e = &p->entities[0];
    assert_int_equal(e->nduplicates, 1);
    assert_string_equal(e->duplicates[0].name, "email+last");
    assert_int_equal(e->duplicates[0].ncolumns, 2);
    assert_int_equal(e->duplicates[0].columns[1].norm, CO_NORM_NAME);
    assert_null(e->duplicates[0].query);
    co_project_free(p);

    p = parse_ok(HEAD "entities:\n  - name: a\n    key: id\n    query: SELECT 1\n"
                      "    duplicates:\n"
                      "      person: { on: { email: email } }\n"
                      "      company:\n"
                      "        on: { company_domain: domain }\n"
                      "        query: SELECT min(id), company_domain FROM c GROUP BY 2;\n");
    e = &p->entities[0];
    assert_int_equal(e->nduplicates, 2);
    assert_string_equal(e->duplicates[0].name, "person");
    assert_string_equal(e->duplicates[1].name, "company");
    assert_int_equal(e->duplicates[1].columns[0].norm, CO_NORM_DOMAIN);
    assert_string_equal(e->duplicates[1].query, "SELECT min(id), company_domain FROM c GROUP BY 2");
    co_project_free(p);

    expect_fail(HEAD "entities:\n  - name: a\n    key: id\n    query: SELECT 1\n"
                     "    duplicates: { email: email, person: { on: { email: email } } }\n",
                CO_EPROJECT, "mixes the two forms", "t.yaml:8:17");
    expect_fail(HEAD "entities:\n  - name: a\n    key: id\n    query: SELECT 1\n"
                     "    duplicates: { person: { query: SELECT 1 } }\n",
                CO_EPROJECT, "\"on\"", "t.yaml:8:27");
    expect_fail(HEAD "entities:\n  - name: a\n    key: id\n    query: SELECT 1\n"
                     "    duplicates: { person: { on: { email: mail } } }\n",
                CO_EPROJECT, "unknown normalizer \"mail\"", "t.yaml:8:42");
}

static void test_refs(void **state)
{
    (void)state;
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n    key: id\n    query: SELECT 1\n"
                     "    refs:\n      team_id: teems\n",
                CO_EPROJECT, "column \"team_id\" refers to unknown entity \"teems\"",
                "t.yaml:9:7");
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n    key: id\n    query: SELECT 1\n"
                     "    refs:\n      team_id: teams\n"
                     "  - name: teams\n    key: id\n    query: SELECT 2\n",
                CO_EPROJECT, "refers to entity \"teams\", which is loaded later", "t.yaml:9:7");
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n    key: id\n    query: SELECT 1\n"
                     "    refs: {parent_id: contacts}\n",
                CO_EPROJECT, "refers to the entity itself", "t.yaml:8:12");
    expect_fail(HEAD "entities:\n"
                     "  - name: teams\n    key: [id, region]\n    query: SELECT 1\n"
                     "  - name: contacts\n    key: id\n    query: SELECT 2\n"
                     "    refs: {team_id: teams}\n",
                CO_EPROJECT, "whose key has 2 columns", "t.yaml:11:12");
    expect_fail(HEAD "entities:\n"
                     "  - name: contacts\n    key: id\n    query: SELECT 1\n"
                     "    refs: {team_id: [teams]}\n",
                CO_EPROJECT, "\"refs\" of column \"team_id\" must be the name of an earlier "
                             "entity, not a sequence",
                "t.yaml:8:21");
}

static void test_null_error_is_allowed(void **state)
{
    (void)state;
    co_project *p = (co_project *)(uintptr_t)1;
    const char *text = "nope: 1\n";
    assert_int_equal(co_project_parse(text, strlen(text), "t.yaml", ".", &p, NULL),
                     CO_EPROJECT);
    assert_null(p);
    assert_int_equal(co_project_parse(NULL, 3, "t.yaml", ".", &p, NULL), CO_EUSAGE);
}

/* ---- loading, hashing, lookups ---- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void test_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_project_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/cutover.yaml", dir);
    write_file(path, full_text);

    co_error err;
    co_error_clear(&err);
    co_project *p = NULL;
    assert_int_equal(co_project_load(path, &p, &err), CO_OK);
    assert_string_equal(p->path, path);
    assert_string_equal(p->dir, dir);
    assert_int_equal(p->nentities, 3);

    co_project *q = NULL;
    assert_int_equal(co_project_parse(full_text, strlen(full_text), "other", "x", &q, &err),
                     CO_OK);
    assert_string_equal(p->hash, q->hash); /* the hash is of the bytes alone */
    co_project_free(q);
    co_project_free(p);

    /* A path without a directory resolves against ".". */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    p = NULL;
    co_code code = co_project_load("cutover.yaml", &p, &err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(code, CO_OK);
    assert_string_equal(p->dir, ".");
    assert_string_equal(p->path, "cutover.yaml");
    co_project_free(p);

    /* Errors in a loaded file are positioned by its path. */
    write_file(path, HEAD "entities:\n  - name: a\n    key: id\n    qeury: x\n");
    p = (co_project *)(uintptr_t)1;
    co_error_clear(&err);
    assert_int_equal(co_project_load(path, &p, &err), CO_EPROJECT);
    assert_null(p);
    char where[300];
    snprintf(where, sizeof where, "%s:7:5", path);
    assert_string_equal(err.where, where);

    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_load_missing_file(void **state)
{
    (void)state;
    co_error err;
    co_error_clear(&err);
    co_project *p = (co_project *)(uintptr_t)1;
    const char *path = "/nonexistent/dir/cutover.yaml";
    assert_int_equal(co_project_load(path, &p, &err), CO_EIO);
    assert_int_equal(err.code, CO_EIO);
    assert_null(p);
    assert_string_equal(err.message,
                        "cannot read /nonexistent/dir/cutover.yaml: No such file or directory");

    co_error_clear(&err);
    assert_int_equal(co_project_load("/tmp", &p, &err), CO_EIO);
    assert_non_null(strstr(err.message, "cannot read /tmp: "));
}

static bool is_lower_hex16(const char *s)
{
    if (strlen(s) != 16)
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return false;
    return true;
}

static void test_hash(void **state)
{
    (void)state;
    co_project *a = parse_ok(HEAD ONE_ENTITY);
    co_project *b = parse_ok(HEAD ONE_ENTITY);
    co_project *c = parse_ok(HEAD ONE_ENTITY "# a comment changes the bytes\n");
    assert_true(is_lower_hex16(a->hash));
    assert_true(is_lower_hex16(c->hash));
    assert_string_equal(a->hash, b->hash);
    assert_string_not_equal(a->hash, c->hash);
    co_project_free(a);
    co_project_free(b);
    co_project_free(c);
}

static void test_lookup(void **state)
{
    (void)state;
    co_project *p = parse_ok(full_text);
    assert_int_equal(co_project_entity_index(p, "teams"), 0);
    assert_int_equal(co_project_entity_index(p, "contacts"), 1);
    assert_int_equal(co_project_entity_index(p, "_notes2"), 2);
    assert_int_equal(co_project_entity_index(p, "crm_contacts"), -1); /* a target, not a name */
    assert_int_equal(co_project_entity_index(p, "Contacts"), -1);
    assert_int_equal(co_project_entity_index(p, NULL), -1);
    assert_int_equal(co_project_entity_index(NULL, "teams"), -1);
    assert_ptr_equal(co_project_entity(p, "contacts"), &p->entities[1]);
    assert_null(co_project_entity(p, "nope"));
    assert_null(co_project_entity(NULL, "teams"));
    co_project_free(p);
    co_project_free(NULL);
}

/* ---- orphans and the source table of an entity ---- */

static void test_orphans(void **state)
{
    (void)state;
    co_project *p = parse_ok(HEAD ONE_ENTITY
                             "    source_table: legacy_contacts\n"
                             "    source_tenant_column: acct\n"
                             "orphans:\n"
                             "  - table: contacts\n"
                             "    tenant_value: null\n"
                             "    reason: never assigned\n"
                             "  - tenant_value: unknown\n"
                             "    reason: closed accounts\n"
                             "  - tenant_value: [99, \"x\", null]\n"
                             "    reason: test accounts\n"
                             "  - reason: anything else\n");
    assert_string_equal(p->entities[0].source_table, "legacy_contacts");
    assert_string_equal(p->entities[0].source_tenant_column, "acct");
    assert_int_equal(p->norphans, 4);
    assert_string_equal(p->orphans[0].table, "contacts");
    assert_true(p->orphans[0].nulls && !p->orphans[0].unknown);
    assert_int_equal(p->orphans[0].mark.line, 11);
    assert_null(p->orphans[1].table);
    assert_true(!p->orphans[1].nulls && p->orphans[1].unknown);
    assert_int_equal(p->orphans[2].nvalues, 2);
    assert_string_equal(p->orphans[2].values[0], "99");
    assert_string_equal(p->orphans[2].values[1], "x");
    assert_true(p->orphans[2].nulls && !p->orphans[2].unknown);
    assert_true(p->orphans[3].nulls && p->orphans[3].unknown); /* no tenant_value: both */
    assert_string_equal(p->orphans[3].reason, "anything else");
    co_project_free(p);

    expect_fail(HEAD ONE_ENTITY "orphans:\n  - table: contacts\n", CO_EPROJECT,
                "missing required key \"reason\" in an orphans rule", "t.yaml:9:5");
    expect_fail(HEAD ONE_ENTITY "orphans:\n  - tenant_value: some\n    reason: r\n", CO_EPROJECT,
                "\"tenant_value\" must be null (rows whose tenant is NULL), unknown",
                "t.yaml:9:19");
    expect_fail(HEAD ONE_ENTITY "orphans: none\n", CO_EPROJECT,
                "\"orphans\" must be a sequence of rules", "t.yaml:8:10");
    expect_fail(HEAD ONE_ENTITY "    source_table: legacy_contacts\n", CO_EPROJECT,
                "declares source_table without source_tenant_column", "t.yaml:5:5");
}

/* ---- the starter ---- */

static void test_starter(void **state)
{
    (void)state;
    const char *text = co_project_starter();
    assert_non_null(text);
    assert_ptr_equal(text, co_project_starter());
    co_project *p = parse_ok(text);
    assert_string_equal(p->source, "sqlite:legacy.db");
    assert_string_equal(p->target, "sqlite:new.db");
    assert_non_null(p->staging);
    assert_true(p->nentities >= 2);
    assert_non_null(p->entities[0].tenant_column);
    assert_true(p->entities[1].nrefs >= 1);
    assert_int_equal(co_project_entity_index(p, p->entities[1].refs[0].entity), 0);
    co_project_free(p);

    /* Every key appears, and the file explains itself. */
    static const char *const keys[] = {"source:", "target:", "staging:", "state:",
                                       "tenants:", "options:", "batch_size:", "rejects_dir:",
                                       "entities:", "name:", "key:", "tenant_column:",
                                       "query:", "refs:", "orphans:", "tenant_value:",
                                       "reason:"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(strstr(text, keys[i]));
    size_t comments = 0;
    for (const char *c = text; (c = strchr(c, '#')); c++)
        comments++;
    assert_true(comments >= 14);
}

static void test_volume_verify_and_semicolons(void **state)
{
    (void)state;
    co_project *p = parse_ok(HEAD "entities:\n"
                                  "  - name: events\n"
                                  "    key: id\n"
                                  "    query: SELECT id, contact_id, kind, at, price FROM e;  \n"
                                  "    volume: { by: [contact_id, kind], time: at, tolerance: 0.5% }\n"
                                  "    verify: { round: { price: 2 } }\n");
    const co_entity *e = &p->entities[0];
    assert_string_equal(e->query, "SELECT id, contact_id, kind, at, price FROM e");
    assert_non_null(e->volume);
    assert_int_equal(e->volume->nby, 2);
    assert_string_equal(e->volume->by[1], "kind");
    assert_string_equal(e->volume->time, "at");
    assert_int_equal(e->volume->months, 9); /* the default */
    assert_true(e->volume->relative);
    assert_true(e->volume->tolerance > 0.00499 && e->volume->tolerance < 0.00501);
    assert_int_equal(e->nrounding, 1);
    assert_string_equal(e->rounding[0].column, "price");
    assert_int_equal(e->rounding[0].digits, 2);
    co_project_free(p);

    p = parse_ok(HEAD "entities:\n"
                      "  - name: events\n"
                      "    key: id\n"
                      "    query: SELECT id, at FROM e\n"
                      "    volume: { by: id, time: at, months: 3, tolerance: 5 }\n");
    assert_int_equal(p->entities[0].volume->months, 3);
    assert_false(p->entities[0].volume->relative);
    assert_true(p->entities[0].volume->tolerance == 5.0);
    co_project_free(p);

    expect_fail(HEAD "entities:\n  - name: e\n    key: id\n    query: SELECT 1\n"
                     "    volume: { by: id, time: at, tolerance: lots }\n",
                CO_EPROJECT, "\"tolerance\" must be a number of rows (5) or a percentage", "t.yaml:8:44");
    expect_fail(HEAD "entities:\n  - name: e\n    key: id\n    query: SELECT 1\n"
                     "    volume: { by: id, time: at, months: 0 }\n",
                CO_EPROJECT, "\"months\" must be a whole number from 1 to 120", "t.yaml:8:41");
    expect_fail(HEAD "entities:\n  - name: e\n    key: id\n    query: SELECT 1\n"
                     "    volume: { time: at }\n",
                CO_EPROJECT, "by", "t.yaml:8:13");
    expect_fail(HEAD "entities:\n  - name: e\n    key: id\n    query: ' ;; '\n",
                CO_EPROJECT, "not only semicolons", "t.yaml:7:13");
}

/* ---- the bytes, checked before YAML sees them ---- */

/* Parses len bytes of text, which must fail as a project-file error whose
 * message holds part, at where. */
static void expect_bytes_fail(const char *text, size_t len, const char *part, const char *where)
{
    co_error err;
    co_error_clear(&err);
    co_project *p = NULL;
    co_code got = co_project_parse(text, len, "t.yaml", ".", &p, &err);
    if (got != CO_EPROJECT || !strstr(err.message, part) || strcmp(err.where, where) != 0)
        print_error("got code %d, message \"%s\", where \"%s\"\n", (int)got, err.message,
                    err.where);
    assert_int_equal(got, CO_EPROJECT);
    assert_null(p);
    assert_non_null(strstr(err.message, part));
    assert_string_equal(err.where, where);
}

static void test_bytes(void **state)
{
    (void)state;
    /* libfyaml 0.7.12 loops forever on these two bytes: refused before it. */
    expect_bytes_fail("%\xe8", 2, "not valid UTF-8 (byte 0xe8 at offset 1)", "t.yaml:1:2");
    expect_bytes_fail(HEAD "\xc3", sizeof HEAD, "not valid UTF-8", "t.yaml:4:1");
    expect_bytes_fail("source: a\x01" "b\n", 12, "a control character (U+0001", "t.yaml:1:10");
    expect_bytes_fail("a: 1\r\nb: \"\x00\"\n", 13, "a NUL byte", "t.yaml:2:5");
    expect_bytes_fail("a: 1\nb: \xc2\x85x\n", 12, "a control character (U+0085", "t.yaml:2:4");
    expect_bytes_fail("# \xc3\xa9\xc3\xa9 \x7f\n", 9, "U+007F", "t.yaml:1:6");
    expect_bytes_fail("a: \xef\xbf\xbf\n", 7, "a non-character", "t.yaml:1:4");
    /* Tabs, CR LF line breaks, a byte-order mark and any other character pass. */
    co_project *p = parse_ok("\xef\xbb\xbf" HEAD "# caf\xc3\xa9\t\xe2\x9c\x93\r\n" ONE_ENTITY);
    co_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_volume_verify_and_semicolons),
        cmocka_unit_test(test_name_and_dir_defaults),
        cmocka_unit_test(test_block_query_positions),
        cmocka_unit_test(test_anchors_and_merge_keys),
        cmocka_unit_test(test_uri_forms),
        cmocka_unit_test(test_uri_error_hides_password),
        cmocka_unit_test(test_malformed_yaml),
        cmocka_unit_test(test_document_shape),
        cmocka_unit_test(test_library_never_prints),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_batch_size),
        cmocka_unit_test(test_pushdown_chunk_rows),
        cmocka_unit_test(test_purge_chunk_rows),
        cmocka_unit_test(test_freeze_heartbeat),
        cmocka_unit_test(test_entity_names),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_duplicates_rules),
        cmocka_unit_test(test_null_error_is_allowed),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_starter),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_orphans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
