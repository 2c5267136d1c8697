/*
 * parity.c: shadow reads (cutover/parity.h): each parity question asked of
 * the source and the target for one tenant, once or once per row of its
 * `each` query, both answers timed and compared (compare.c), the run
 * journaled (state/parity.c); and the gate that a read share above 0 must
 * pass.
 */
#include "parity/parity_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/key.h"
#include "util/free.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- asking one side ---- */

/* Runs sql on store (in a transaction rolled back after, when txn: the
 * target, so that a question that writes changes nothing; the source is
 * opened read-only) into side, at most
 * max_rows rows (side->truncated when there were more), timing it. A failed
 * query is CO_OK with its message in problem (cap bytes): the question's own
 * SQL, not the run, failed. */
static co_code ask_side(co_store *store, bool txn, const char *sql, const co_param *params,
                        size_t np, int max_rows, co_parity_side *side, char *problem, size_t cap,
                        co_error *err)
{
    co_error qerr;
    co_error_clear(&qerr);
    problem[0] = '\0';
    double started = Co_clock_mono();
    co_code rc = txn ? co_store_begin(store, err) : CO_OK;
    if (rc != CO_OK)
        return rc;
    co_cursor *c = NULL;
    co_code qrc = co_store_query(store, sql, params, np, &c, &qerr);
    co_value *row = NULL;
    if (qrc == CO_OK) {
        size_t ncols = co_cursor_ncols(c);
        const char **names = calloc(ncols ? ncols : 1, sizeof *names);
        row = calloc(ncols ? ncols : 1, sizeof *row);
        if (!names || !row)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        for (size_t i = 0; rc == CO_OK && i < ncols; i++)
            names[i] = co_cursor_colname(c, i);
        if (rc == CO_OK)
            rc = Co_parity_side_columns(side, ncols, names, err);
        free(names);
    }
    bool has_row = true;
    while (rc == CO_OK && qrc == CO_OK && (qrc = co_cursor_next(c, &has_row, &qerr)) == CO_OK &&
           has_row) {
        if (side->nrows >= (size_t)max_rows) {
            side->truncated = true;
            break;
        }
        for (size_t i = 0; i < side->ncols; i++)
            row[i] = co_cursor_value(c, i);
        rc = Co_parity_side_add(side, row, err);
    }
    free(row);
    co_cursor_close(c);
    if (txn)
        co_store_rollback(store);
    side->seconds = Co_clock_mono() - started;
    if (qrc != CO_OK)
        snprintf(problem, cap, "%s", qerr.message);
    return rc;
}

/* ---- the parameters of one asking ---- */

typedef struct asking {
    co_param *params;  /* :tenant, the fixed params, then the each row's columns */
    char **names;      /* the ":NAME" texts the params point at */
    size_t n;
    char *json;        /* {"NAME": value, ...} without :tenant, or NULL when none */
} asking;

static void asking_release(asking *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->names[i]);
    CO_FREE(a->names, a->params, a->json);
    memset(a, 0, sizeof *a);
}

static co_code asking_add(asking *a, const char *name, co_value v, co_buf *json, co_error *err)
{
    size_t len = strlen(name) + 2;
    char *colon = malloc(len);
    if (!colon)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    snprintf(colon, len, ":%s", name);
    a->names[a->n] = colon;
    a->params[a->n++] = (co_param){colon, v};
    if (json) {
        Co_buf_adds(json, json->len > 1 ? "," : "");
        Co_json_str(json, name);
        Co_buf_addc(json, ':');
        Co_json_value(json, &v);
    }
    return CO_OK;
}

/* The parameters of q for tenant t and row r of each (NULL: no each row). */
static co_code asking_make(const co_parity_query *q, const co_tenant *t,
                           const co_parity_side *each, size_t r, asking *a, co_error *err)
{
    size_t most = 1 + q->nparams + (each ? each->ncols : 0);
    memset(a, 0, sizeof *a);
    a->params = calloc(most, sizeof *a->params);
    a->names = calloc(most, sizeof *a->names);
    if (!a->params || !a->names)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    co_buf json = CO_BUF_INIT;
    Co_buf_addc(&json, '{');
    co_code rc = asking_add(a, "tenant", t->value, NULL, err);
    for (size_t i = 0; rc == CO_OK && i < q->nparams; i++) {
        const char *v = q->param_values[i];
        int64_t n;
        co_value val = Co_text_as_int(v, strlen(v), &n) ? co_int(n) : co_text(v, strlen(v));
        rc = asking_add(a, q->param_names[i], val, &json, err);
    }
    for (size_t c = 0; rc == CO_OK && each && c < each->ncols; c++)
        rc = asking_add(a, each->names[c], each->vals[r * each->ncols + c], &json, err);
    Co_buf_addc(&json, '}');
    if (rc == CO_OK && json.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK && json.len > 2)
        a->json = co_buf_detach(&json);
    Co_buf_release(&json);
    return rc;
}

/* ---- the checks of a run ---- */

static co_code check_add(co_parity_result *r, size_t *cap, co_state_parity_check **out,
                         const co_parity_query *q, const char *params, co_error *err)
{
    if (r->nchecks == *cap) {
        size_t more = *cap ? *cap * 2 : 8;
        co_state_parity_check *c = realloc(r->checks, more * sizeof *c);
        if (!c)
            return co_error_set(err, CO_ENOMEM, "out of memory");
        r->checks = c;
        *cap = more;
    }
    co_state_parity_check *c = &r->checks[r->nchecks];
    memset(c, 0, sizeof *c);
    c->outcome = "error";
    c->budget = q->budget;
    c->query = strdup(q->name);
    c->params = params ? strdup(params) : NULL;
    if (!c->query || (params && !c->params)) {
        free((char *)c->query);
        free((char *)c->params);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    r->nchecks++;
    *out = c;
    return CO_OK;
}

/* The check's outcome "error" with detail "WHAT: problem". */
static co_code check_error(co_state_parity_check *c, const char *what, const char *problem,
                           co_error *err)
{
    char text[1100];
    snprintf(text, sizeof text, "%s: %s", what, problem);
    c->outcome = "error";
    c->detail = strdup(text);
    return c->detail ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

/* Asks q once with the parameters of a, both sides, and compares. */
static co_code ask(co_session *s, const co_parity_query *q, const asking *a,
                   co_parity_result *r, size_t *cap, co_error *err)
{
    const co_parity_spec *spec = &co_session_project(s)->parity;
    co_state_parity_check *c = NULL;
    co_code rc = check_add(r, cap, &c, q, a->json, err);
    if (rc != CO_OK)
        return rc;
    co_parity_side o = {0}, n = {0};
    char oproblem[1024], nproblem[1024];
    rc = ask_side(co_session_source(s), false, q->old_sql, a->params, a->n, spec->max_rows, &o,
                  oproblem, sizeof oproblem, err);
    if (rc == CO_OK)
        rc = ask_side(co_session_dest(s), true, q->new_sql, a->params, a->n, spec->max_rows, &n,
                      nproblem, sizeof nproblem, err);
    c->old_seconds = o.seconds;
    c->new_seconds = n.seconds;
    c->old_rows = (int64_t)o.nrows;
    c->new_rows = (int64_t)n.nrows;
    char more[160];
    snprintf(more, sizeof more, "it gives more than %d rows (parity.max_rows)", spec->max_rows);
    if (rc == CO_OK && (oproblem[0] || o.truncated))
        rc = check_error(c, "the old query failed", oproblem[0] ? oproblem : more, err);
    else if (rc == CO_OK && (nproblem[0] || n.truncated))
        rc = check_error(c, "the new query failed", nproblem[0] ? nproblem : more, err);
    else if (rc == CO_OK) {
        char *detail = NULL, *samples = NULL;
        bool ordered = Co_parity_orders(q->old_sql) && Co_parity_orders(q->new_sql);
        rc = Co_parity_compare(&o, &n, q, ordered, spec->samples, c, &detail, &samples, err);
        c->detail = detail;
        c->samples = samples;
        if (rc == CO_OK && strcmp(c->outcome, "pass") == 0 && q->budget > 0 &&
            n.seconds > q->budget) {
            char text[200];
            snprintf(text, sizeof text, "the new query took %.3f s, over its budget of %.3f s",
                     n.seconds, q->budget);
            c->outcome = "budget";
            c->detail = strdup(text);
            if (!c->detail)
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
        }
    }
    if (strcmp(c->outcome, "pass") != 0)
        r->failed++;
    Co_parity_side_release(&o);
    Co_parity_side_release(&n);
    return rc;
}

/* Asks q for tenant t: once, or once per row of its each query. */
static co_code ask_question(co_session *s, const co_parity_query *q, const co_tenant *t,
                            co_parity_result *r, size_t *cap, co_error *err)
{
    asking a;
    co_code rc;
    if (!q->each) {
        rc = asking_make(q, t, NULL, 0, &a, err);
        if (rc == CO_OK)
            rc = ask(s, q, &a, r, cap, err);
        asking_release(&a);
        return rc;
    }
    co_parity_side each = {0};
    char problem[1024];
    co_param tenant = {":tenant", t->value};
    rc = ask_side(co_session_source(s), false, q->each, &tenant, 1, CO_PARITY_EACH_MAX, &each,
                  problem, sizeof problem, err);
    if (rc == CO_OK && problem[0]) {
        co_state_parity_check *c = NULL;
        rc = check_add(r, cap, &c, q, NULL, err);
        if (rc == CO_OK)
            rc = check_error(c, "its each query failed", problem, err);
        r->failed++;
    }
    for (size_t i = 0; rc == CO_OK && !problem[0] && i < each.nrows; i++) {
        rc = asking_make(q, t, &each, i, &a, err);
        if (rc == CO_OK)
            rc = ask(s, q, &a, r, cap, err);
        asking_release(&a);
    }
    Co_parity_side_release(&each);
    return rc;
}

co_code co_parity_run(co_session *s, const co_tenant *t, co_parity_result *out, co_error *err)
{
    memset(out, 0, sizeof *out);
    const co_project *p = co_session_project(s);
    if (!p->parity.nqueries)
        return co_error_set(err, CO_EPROJECT,
                            "the project file lists no parity queries (parity: in cutover.yaml, "
                            "docs/coexistence.md)");
    double started = Co_clock_mono();
    size_t cap = 0;
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < p->parity.nqueries; i++)
        rc = ask_question(s, &p->parity.queries[i], t, out, &cap, err);
    out->seconds = Co_clock_mono() - started;
    out->pass = out->failed == 0;
    if (rc == CO_OK)
        rc = co_state_parity_record(co_session_state(s), t->key, p->hash, out->seconds,
                                    out->checks, out->nchecks, &out->run_id, err);
    if (rc != CO_OK)
        co_error_where(err, "tenant %s", t->key);
    return rc;
}

void co_parity_result_release(co_parity_result *r)
{
    for (size_t i = 0; i < r->nchecks; i++) {
        CO_FREE((char *)r->checks[i].query, (char *)r->checks[i].params,
                (char *)r->checks[i].detail, (char *)r->checks[i].samples);
    }
    free(r->checks);
    memset(r, 0, sizeof *r);
}

/* ---- the gate ---- */

co_code co_parity_gate(co_state *st, const co_project *p, const char *tenant, co_error *err)
{
    if (!p->parity.nqueries)
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s: a read share above 0 needs a passing parity run, and "
                            "the project file lists no parity queries (parity: in cutover.yaml, "
                            "docs/coexistence.md)",
                            tenant);
    co_state_parity_run run;
    bool found = false;
    co_code rc = co_state_parity_latest(st, tenant, &run, &found, err);
    if (rc != CO_OK)
        return rc;
    if (!found)
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s has no parity run: a read share above 0 needs a passing "
                            "one (cutover parity --tenant %s)",
                            tenant, tenant);
    if (!run.pass)
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s's last parity run (%s) failed %lld of its %lld checks: a "
                            "read share above 0 needs a passing one (cutover parity --tenant %s)",
                            tenant, run.at, (long long)run.failed, (long long)run.checks, tenant);
    time_t at = Co_clock_parse(run.at);
    double age = at < 0 ? p->parity.max_age + 1 : difftime(Co_clock_now(), at);
    if (age > p->parity.max_age)
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s's last passing parity run (%s) is %.0f s old, older than "
                            "parity.max_age (%.0f s): run cutover parity --tenant %s again",
                            tenant, run.at, age, p->parity.max_age, tenant);
    return CO_OK;
}
