/* test_audit_scan.c: the per-tenant scan of the audit (src/audit/scan.h) on
 * rows handed to it directly: duplicate clusters by a rule, with their
 * members and example keys, and the memory a rule's normalized values take
 * when nearly all of them are one row's (the common case: a tenant of
 * 180,000 contacts with a handful of shared addresses), and an entity's maps
 * freed as soon as the rows of the next entity begin. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit/scan.h"
#include "cutover/audit.h"
#include "cutover/project.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTACTS_PROJECT                                                          \
    "source: sqlite:legacy.db\n"                                                  \
    "target: sqlite:new.db\n"                                                     \
    "tenants: SELECT id FROM accounts\n"                                          \
    "entities:\n"                                                                 \
    "  - name: contacts\n"                                                        \
    "    key: id\n"                                                               \
    "    duplicates:\n"                                                           \
    "      person:\n"                                                             \
    "        on: { email: email }\n"                                              \
    "    query: SELECT id, email FROM contacts WHERE account_id = :tenant\n"

static const char *project_text = CONTACTS_PROJECT;

static co_project *project_from(const char *text)
{
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_project_parse(text, strlen(text), "t.yaml", ".", &p, &err) != CO_OK)
        fail_msg("project: %s", err.message);
    return p;
}

static co_project *project(void) { return project_from(project_text); }

static audit_scan *new_scan(const co_project *p)
{
    audit_scan *sc = NULL;
    co_error err;
    co_error_clear(&err);
    if (audit_scan_new(p, NULL, &sc, &err) != CO_OK)
        fail_msg("scan: %s", err.message);
    return sc;
}

/* Hands the scan one contact row (id, email). */
static void row(audit_scan *sc, int64_t id, const char *email)
{
    static const char *const names[] = {"id", "email"};
    co_value v[2] = {{.type = CO_INT, .i = id}, {.type = CO_TEXT, .s = email, .len = strlen(email)}};
    co_error err;
    co_error_clear(&err);
    if (audit_scan_row(sc, 0, names, v, 2, &err) != CO_OK)
        fail_msg("row %lld: %s", (long long)id, err.message);
}

static const co_duplicate_cluster *cluster(const co_tenant_audit *a, int64_t members)
{
    for (size_t i = 0; i < a->nduplicates; i++)
        if (a->duplicates[i].members == members)
            return &a->duplicates[i];
    fail_msg("no cluster of %lld members", (long long)members);
    return NULL;
}

/* n empty audits of one entity, freed with co_tenant_audits_free. */
static co_tenant_audit *fresh_audits(size_t n)
{
    co_tenant_audit *a = calloc(n, sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < n; i++) {
        a[i].nentities = 1;
        a[i].entity_rows = calloc(1, sizeof *a[i].entity_rows);
        assert_non_null(a[i].entity_rows);
    }
    return a;
}

/* Addresses equal once normalized make a cluster; its examples are the
 * first five members' keys in reading order, whatever the cluster's size. */
static void clusters_count_members_and_keep_five_examples(void **state)
{
    (void)state;
    co_project *p = project();
    audit_scan *sc = new_scan(p);
    co_error err;
    co_error_clear(&err);
    row(sc, 1, "Jane.Doe@CNN.com");
    row(sc, 2, "bob@example.org");
    row(sc, 3, "jane.doe@cnn.com");
    for (int64_t id = 10; id < 17; id++) /* seven spellings of one address */
        row(sc, id, id % 2 ? "Kim@Example.COM" : "kim@example.com");
    row(sc, 20, "alone@example.net");
    co_tenant_audit *a = fresh_audits(2);
    assert_int_equal(audit_scan_finish(sc, &a[0], &err), CO_OK);
    assert_int_equal(a[0].rows, 11);
    assert_int_equal(a[0].duplicate_clusters, 2);
    assert_int_equal(a[0].ndup_rules, 1);
    assert_string_equal(a[0].dup_rules[0].rule, "person");
    assert_int_equal(a[0].dup_rules[0].clusters, 2);
    assert_int_equal(a[0].nduplicates, 2);
    const co_duplicate_cluster *jane = cluster(&a[0], 2), *kim = cluster(&a[0], 7);
    assert_string_equal(jane->entity, "contacts");
    assert_string_equal(jane->examples, "[[1],[3]]");
    assert_string_equal(kim->examples, "[[10],[11],[12],[13],[14]]");

    /* The scan starts afresh for the next tenant. */
    row(sc, 30, "jane.doe@cnn.com");
    assert_int_equal(audit_scan_finish(sc, &a[1], &err), CO_OK);
    assert_int_equal(a[1].rows, 1);
    assert_int_equal(a[1].duplicate_clusters, 0);
    assert_int_equal(a[1].dup_rules[0].clusters, 0);
    co_tenant_audits_free(a, 2);
    audit_scan_free(sc);
    co_project_free(p);
}

/* Bytes allocated, from the heap and mapped on their own (large blocks). */
static size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* A rule's normalized value seen once costs what it holds (the value, the
 * row's key and a count), not room for five example keys: 100,000 distinct
 * addresses take under 150 bytes each (room for five took about 300). */
static void singletons_take_little_memory(void **state)
{
    (void)state;
    co_project *p = project();
    audit_scan *sc = new_scan(p);
    enum { N = 100000 };
    char email[64];
    row(sc, 0, "warm@up.org"); /* binds the entity, allocates its buffers */
    size_t before = heap_bytes();
    for (int64_t id = 1; id <= N; id++) {
        snprintf(email, sizeof email, "person%06lld@example.com", (long long)id);
        row(sc, id, email);
    }
    size_t used = heap_bytes() - before;
    /* The map's slots: 24 bytes per entry at most 3/4 full, so up to 64 per
     * entry; the entries themselves: the 24-byte address, the key "[123456]"
     * and a count, about 40 bytes. */
    if (used / N >= 140)
        fail_msg("%zu bytes of heap per distinct address", used / N);
    audit_scan_free(sc);
    co_project_free(p);
}

static const char *two_entities_text = CONTACTS_PROJECT
    "  - name: events\n"
    "    key: id\n"
    "    refs: { contact_id: contacts }\n"
    "    query: SELECT id, contact_id FROM events WHERE account_id = :tenant\n";

/* Hands the scan one event row (id, contact_id): entity 1. */
static co_code event(audit_scan *sc, int64_t id, int64_t contact, co_error *err)
{
    static const char *const names[] = {"id", "contact_id"};
    co_value v[2] = {{.type = CO_INT, .i = id}, {.type = CO_INT, .i = contact}};
    return audit_scan_row(sc, 1, names, v, 2, err);
}

/* When the rows of the next entity begin, the entity before is settled: the
 * map of its 100,000 addresses is freed then, not at the tenant's end, and
 * its clusters are still reported, with the next entity's rows per parent
 * key after them. */
static void an_entity_frees_its_maps_when_its_rows_end(void **state)
{
    (void)state;
    co_project *p = project_from(two_entities_text);
    co_error err;
    co_error_clear(&err);
    audit_scan *sc = new_scan(p);
    enum { N = 100000 };
    char email[64];
    row(sc, 0, "Kim@Example.COM");
    size_t before = heap_bytes();
    for (int64_t id = 1; id <= N; id++) {
        snprintf(email, sizeof email, "person%06lld@example.com", (long long)id);
        row(sc, id, email);
    }
    row(sc, N + 1, "kim@example.com");
    long long contacts = (long long)heap_bytes() - (long long)before;
    for (int64_t id = 1; id <= 60; id++) /* contact 7 has 51 events, 1 to 9 one each */
        assert_int_equal(event(sc, id, id <= 9 ? id : 7, &err), CO_OK);
    long long after = (long long)heap_bytes() - (long long)before;
    if (after * 10 > contacts)
        fail_msg("%lld bytes of heap kept of the %lld the contacts took", after, contacts);

    /* Rows of an entity whose rows have ended are refused. */
    static const char *const names[] = {"id", "email"};
    co_value v[2] = {{.type = CO_INT, .i = 5}, {.type = CO_TEXT, .s = "x@y.z", .len = 5}};
    assert_int_equal(audit_scan_row(sc, 0, names, v, 2, &err), CO_EINTERNAL);

    co_tenant_audit *a = fresh_audits(1);
    assert_int_equal(audit_scan_finish(sc, &a[0], &err), CO_OK);
    assert_int_equal(a[0].rows, N + 2 + 60);
    assert_int_equal(a[0].duplicate_clusters, 1);
    assert_int_equal(a[0].ndup_rules, 1);
    assert_int_equal(a[0].dup_rules[0].clusters, 1);
    assert_int_equal(a[0].nduplicates, 1);
    assert_string_equal(a[0].duplicates[0].examples, "[[0],[100001]]");
    assert_int_equal(a[0].nfanouts, 1);
    assert_string_equal(a[0].fanouts[0].entity, "events");
    assert_int_equal(a[0].fanouts[0].parents, 9);
    assert_int_equal(a[0].fanouts[0].max, 52);
    assert_int_equal(a[0].fanouts[0].outliers, 1);
    assert_int_equal(a[0].outlier_keys, 1);
    co_tenant_audits_free(a, 1);

    /* The next tenant starts with contacts again. */
    row(sc, 1, "kim@example.com");
    assert_int_equal(event(sc, 1, 1, &err), CO_OK);
    a = fresh_audits(1);
    assert_int_equal(audit_scan_finish(sc, &a[0], &err), CO_OK);
    assert_int_equal(a[0].rows, 2);
    assert_int_equal(a[0].duplicate_clusters, 0);
    assert_int_equal(a[0].nfanouts, 1);
    co_tenant_audits_free(a, 1);
    audit_scan_free(sc);
    co_project_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clusters_count_members_and_keep_five_examples),
        cmocka_unit_test(singletons_take_little_memory),
        cmocka_unit_test(an_entity_frees_its_maps_when_its_rows_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
