/*
 * test_project_sections.c: every section of the project file read through its
 * table of typed fields (src/project/fields.h): a file that uses every key
 * lands each value in its field, a file that leaves them out gets each
 * default, and one wrong value per kind of reader is refused with its
 * message. Under the sanitizers (make check-asan) the same files prove that
 * the tables free all they read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cutover/project.h"

#include <string.h>

#define HEAD                                                                                   \
    "source: sqlite:legacy.db\n"                                                               \
    "target: sqlite:new.db\n"                                                                  \
    "tenants: SELECT id FROM accounts\n"

#define ONE_ENTITY                                                                             \
    "entities:\n"                                                                              \
    "  - name: contacts\n"                                                                     \
    "    key: id\n"                                                                            \
    "    tenant_column: account_id\n"                                                          \
    "    query: SELECT id FROM contacts\n"

static const char every_key[] =
    HEAD
    "options: {batch_size: 7, freeze_heartbeat_seconds: 9, retention_days: 40, rejects_dir: rej}\n"
    "capture:\n"
    "  - {table: contacts, key: [id, line], tenant: \"{row}.account_id\"}\n"
    "hooks: {before_copy: a, on_freeze: b, on_switch: c, on_rollback: d, on_failure: e,\n"
    "        on_alert: f}\n"
    "entities:\n"
    "  - name: teams\n"
    "    key: id\n"
    "    query: SELECT id FROM teams\n"
    "  - name: contacts\n"
    "    key: [id]\n"
    "    tenant_column: account_id\n"
    "    query: SELECT id, team_id FROM contacts;\n"
    "    refs: {team_id: teams}\n"
    "    volume: {by: [kind], time: at, tolerance: 0.5%}\n"
    "    verify: {round: {price: 2}}\n"
    "    duplicates: {person: {on: {email: email}, query: SELECT email FROM c;}}\n"
    "    follows: {contacts: {id: id}, notes: {}}\n"
    "    reverse: {table: contacts, key: {id: id}, columns: {mail: email},\n"
    "              insert: {team_id: (SELECT min(team_id) FROM ct WHERE c = contacts.id)}}\n"
    "    merge:\n"
    "      on: [lower(email)]\n"
    "      survivor: latest(updated_at)\n"
    "      columns: {tags: \"union(';')\"}\n"
    "      similar:\n"
    "        blocks: name_norm(last_name)\n"
    "        compare:\n"
    "          - {expr: first_name, by: jaro_winkler, weight: 2, floor: none}\n"
    "          - {expr: born, by: exact, scale: 30, agree_at: 0.5}\n"
    "        merge_at: 0.9\n"
    "monitor:\n"
    "  days: 10\n"
    "  tolerance: 25%\n"
    "  volumes: [{entity: contacts, time: at, by: kind}]\n"
    "budgets: [{name: q1, sql: SELECT 1, budget: 250ms}, {name: q2, sql: SELECT 2, repeat: 3}]\n"
    "approvals: {switch: all, finalize: {size: [XL, L]}}\n"
    "parity:\n"
    "  max_age: 600s\n"
    "  samples: 3\n"
    "  queries:\n"
    "    - {name: list, old: \"SELECT id FROM c WHERE a = :tenant;\", new: \"SELECT id FROM d\n"
    "       WHERE a = :tenant\", budget: 250ms}\n"
    "    - name: history\n"
    "      each: SELECT id AS contact FROM c WHERE a = :tenant\n"
    "      params: {kind: open, top: 5}\n"
    "      types: {at: timestamp}\n"
    "      old: SELECT at FROM e WHERE a = :tenant AND c = :contact\n"
    "      new: SELECT at FROM g WHERE a = :tenant AND c = :contact\n"
    "events:\n"
    "  sources: {old: {uri: \"sqlite:b.db\", table: t, person: pid}}\n"
    "  similar: {psi: 0.2}\n"
    "orphans:\n"
    "  - {table: leads, tenant_value: [99, null], reason: closed}\n"
    "  - {reason: all}\n";

static co_project *parse_ok(const char *text)
{
    co_error err;
    co_error_clear(&err);
    co_project *p = NULL;
    co_code got = co_project_parse(text, strlen(text), "t.yaml", ".", &p, &err);
    if (got != CO_OK)
        print_error("unexpected error: %s (%s)\n", err.message, err.where);
    assert_int_equal(got, CO_OK);
    return p;
}

static void test_every_key_lands_in_its_field(void **state)
{
    (void)state;
    co_project *p = parse_ok(every_key);
    assert_int_equal(p->batch_size, 7);
    assert_int_equal(p->freeze_heartbeat_seconds, 9);
    assert_int_equal(p->retention_days, 40);
    assert_string_equal(p->rejects_dir, "rej");
    assert_int_equal(p->ncapture, 1);
    assert_int_equal(p->capture[0].nkey, 2);
    assert_string_equal(p->capture[0].key[1], "line");
    for (int h = 0; h < CO_HOOK_COUNT; h++) {
        char want[2] = {(char)('a' + h), '\0'};
        assert_string_equal(p->hooks[h], want);
    }

    const co_entity *e = &p->entities[1];
    assert_string_equal(e->query, "SELECT id, team_id FROM contacts");
    assert_string_equal(e->refs[0].entity, "teams");
    assert_string_equal(e->volume->by[0], "kind");
    assert_int_equal(e->volume->months, 9);
    assert_true(e->volume->relative);
    assert_int_equal(e->nrounding, 1);
    assert_int_equal(e->rounding[0].digits, 2);
    assert_string_equal(e->duplicates[0].name, "person");
    assert_int_equal(e->duplicates[0].columns[0].norm, CO_NORM_EMAIL);
    assert_string_equal(e->duplicates[0].query, "SELECT email FROM c");
    assert_int_equal(e->nfollows, 2);
    assert_string_equal(e->follows[0].keys[0], "id");
    assert_int_equal(e->follows[1].n, 0);
    assert_string_equal(e->reverse->col_source[0], "mail");
    assert_string_equal(e->reverse->key_entity[0], "id");
    assert_int_equal(e->reverse->nins, 1);
    assert_string_equal(e->reverse->ins_source[0], "team_id");
    assert_string_equal(e->reverse->ins_sql[0], "(SELECT min(team_id) FROM ct WHERE c = contacts.id)");

    const co_merge *m = e->merge;
    assert_string_equal(m->on[0], "lower(email)");
    assert_int_equal(m->survivor.kind, CO_RULE_LATEST);
    assert_string_equal(m->survivor.arg, "updated_at");
    assert_int_equal(m->keep.kind, CO_RULE_SURVIVOR);
    assert_int_equal(m->columns[0].kind, CO_RULE_UNION);
    assert_string_equal(m->columns[0].arg, ";");
    assert_int_equal(m->nblocks, 1);
    assert_int_equal(m->ncompare, 2);
    assert_true(m->compare[0].weight == 2 && m->compare[0].floor < 0);
    assert_true(m->compare[1].weight == 1 && m->compare[1].scale == 30);
    assert_true(m->review_at == 0.8 && m->merge_at == 0.9);

    assert_int_equal(p->monitor.days, 10);
    assert_int_equal(p->monitor.weeks, 4);
    assert_true(p->monitor.tolerance == 0.25 && p->monitor.min_baseline == 5);
    assert_string_equal(p->monitor.volumes[0].by, "kind");
    assert_true(p->budgets[0].budget == 0.25 && p->budgets[0].repeat == 5);
    assert_true(p->budgets[1].budget == 1 && p->budgets[1].repeat == 3);
    assert_true(co_project_approval(p, "switch")->all);
    assert_string_equal(co_project_approval(p, "finalize")->sizes[1], "L");
    const co_event_source *s = co_project_event_source(p, "old");
    assert_string_equal(s->person, "pid");
    assert_string_equal(s->time, "occurred_at");
    assert_true(p->events_tolerance == 0.05 && p->similar_psi == 0.2 &&
                p->similar_spearman == 0.9);
    assert_true(p->parity.max_age == 600 && p->parity.samples == 3);
    assert_int_equal(p->parity.max_rows, 10000);
    assert_int_equal(p->parity.nqueries, 2);
    assert_string_equal(p->parity.queries[0].old_sql, "SELECT id FROM c WHERE a = :tenant");
    assert_true(p->parity.queries[0].budget == 0.25 && p->parity.queries[1].budget == 0);
    assert_int_equal(p->parity.queries[1].nparams, 2);
    assert_string_equal(p->parity.queries[1].param_names[1], "top");
    assert_string_equal(p->parity.queries[1].param_values[1], "5");
    assert_string_equal(p->parity.queries[1].type_names[0], "timestamp");
    assert_non_null(strstr(p->parity.queries[1].each, ":tenant"));
    assert_true(p->orphans[0].nulls && !p->orphans[0].unknown);
    assert_string_equal(p->orphans[0].values[0], "99");
    assert_true(p->orphans[1].nulls && p->orphans[1].unknown);
    co_project_free(p);
}

static void test_left_out_keys_get_their_defaults(void **state)
{
    (void)state;
    co_project *p = parse_ok(HEAD ONE_ENTITY);
    assert_int_equal(p->retention_days, 30);
    assert_int_equal(p->freeze_heartbeat_seconds, 5);
    assert_true(p->monitor.days == 7 && p->monitor.weeks == 4);
    assert_true(p->monitor.tolerance == 0.5 && p->monitor.min_baseline == 5);
    assert_true(p->events_tolerance == 0.05 && p->similar_auc_delta == 0.02);
    assert_true(p->similar_psi == 0.1 && p->similar_spearman == 0.9);
    assert_null(p->hooks[CO_HOOK_ON_SWITCH]);
    assert_null(p->entities[0].merge);
    assert_true(p->parity.max_age == 3600 && p->parity.samples == 5);
    assert_int_equal(p->parity.nqueries, 0);
    co_project_free(p);
}

/* One wrong value per kind of reader, each refused with its own words. */
static void test_each_reader_refuses(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {HEAD "options: {retention_days: 0}\n" ONE_ENTITY,
         "\"retention_days\" must be a whole number from 1 to 3650, not 0"},
        {HEAD "monitor: {tolerance: x}\n" ONE_ENTITY,
         "\"tolerance\" must be a fraction (0.5) or a percentage (50%), not \"x\""},
        {HEAD "budgets: [{name: q, sql: s, budget: 0s}]\n" ONE_ENTITY,
         "\"budget\" must be a duration above 0 (0.5, 2s or 250ms), not \"0s\""},
        {HEAD "events: {sources: {a: {uri: \"sqlite:x\", table: t}}, similar: {psi: 0}}\n"
              ONE_ENTITY,
         "\"psi\" must be a number above 0, at most 10, not \"0\""},
        {HEAD "budgets: {}\n" ONE_ENTITY,
         "\"budgets\" must be a sequence of {name, sql, budget, repeat}, not a mapping"},
        {HEAD "approvals: [switch]\n" ONE_ENTITY,
         "\"approvals\" must be a mapping of step: all or step: {size: [XL]}, not a sequence"},
        {HEAD "hooks: [a]\n" ONE_ENTITY,
         "\"hooks\" must be a mapping of phase: command, not a sequence"},
        {HEAD ONE_ENTITY "    merge: {similar: {blocks: [\"f(a, b\"], compare: [{expr: a, by: exact}]}}\n",
         "an item of \"blocks\" has unbalanced parentheses"},
        {HEAD ONE_ENTITY "    merge: {on: a, similar: {blocks: b, compare: []}}\n",
         "\"compare\" must be a sequence of { expr, by, weight, ... }, not a sequence"},
        {HEAD ONE_ENTITY "    reverse: {table: t, key: [id]}\n",
         "\"key\" must be a mapping of source column: entity column, not a sequence"},
        {HEAD ONE_ENTITY "    duplicates: {rule: {on: {}}}\n",
         "a duplicates rule needs at least one column"},
        {HEAD "entities: []\n", "\"entities\" must list at least one entity"},
        {HEAD "parity: {queries: [{name: q, old: SELECT 1, new: SELECT 1 WHERE :tenant}]}\n"
              ONE_ENTITY,
         "parity query q must use :tenant in both \"old\" and \"new\""},
        {HEAD "parity: {queries: [{name: q, old: \":tenant\", new: \":tenant\"},\n"
              "  {name: q, old: \":tenant\", new: \":tenant\"}]}\n" ONE_ENTITY,
         "parity query name \"q\" is used twice"},
        {HEAD "parity: {queries: [{name: q, old: \":tenant\", new: \":tenant\", params: [a]}]}\n"
              ONE_ENTITY,
         "\"params\" must be a mapping of name: value, not a sequence"},
        {HEAD "parity: {queries: [{name: q, old: \":tenant\", new: \":tenant\",\n"
              "  params: {tenant: 1}}]}\n" ONE_ENTITY,
         "parameter \"tenant\" of parity query q is invalid"},
        {HEAD "parity: {max_age: 1h, queries: [{name: q, old: \":tenant\", new: \":tenant\"}]}\n"
              ONE_ENTITY,
         "\"max_age\" must be a duration above 0 (0.5, 2s or 250ms), not \"1h\""},
        {HEAD "parity: {queries: [{name: q, old: \":tenant\", neww: \":tenant\"}]}\n" ONE_ENTITY,
         "unknown key \"neww\" in parity query"},
        {HEAD "parity: {max_age: 60s}\n" ONE_ENTITY, "\"queries\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        co_error err;
        co_error_clear(&err);
        co_project *p = NULL;
        co_code got = co_project_parse(cases[i].text, strlen(cases[i].text), "t.yaml", ".", &p,
                                       &err);
        if (got != CO_EPROJECT || !strstr(err.message, cases[i].message))
            print_error("case %zu: got %d, \"%s\"\n", i, (int)got, err.message);
        assert_int_equal(got, CO_EPROJECT);
        assert_null(p);
        assert_non_null(strstr(err.message, cases[i].message));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_key_lands_in_its_field),
                                       cmocka_unit_test(test_left_out_keys_get_their_defaults),
                                       cmocka_unit_test(test_each_reader_refuses)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
