/*
 * journal.c: running the journal's statements (state/journal.h). Every read
 * writes the buffered id map, reject and merge rows first, so that no caller
 * can read the journal without seeing its own adds; writes leave them
 * buffered until the transaction commits, as before.
 */
#include "state/journal.h"
#include "state/state_int.h"

co_code Co_state_read(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                      co_cursor **out, co_error *err)
{
    *out = NULL;
    co_code rc = Co_state_flush(st, err);
    return rc == CO_OK ? co_store_query(Co_state_store(st), q->sql, params, nparams, out, err) : rc;
}

co_code Co_state_read_int(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                          int64_t *value, bool *found, co_error *err)
{
    co_code rc = Co_state_flush(st, err);
    return rc == CO_OK ? co_store_query_int(Co_state_store(st), q->sql, params, nparams, value,
                                            found, err)
                       : rc;
}

co_code Co_state_write(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                       long long *changes, co_error *err)
{
    return co_store_exec_params(Co_state_store(st), q->sql, params, nparams, changes, err);
}

const char *co_state_safe_uri(co_state *st)
{
    return st && Co_state_store(st) ? co_store_safe_uri(Co_state_store(st)) : "";
}

co_code Co_state_each(co_state *st, const co_jq *q, const co_param *params, size_t nparams,
                      co_code (*row)(void *ctx, co_cursor *c, co_error *err), void *ctx,
                      co_error *err)
{
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, q, params, nparams, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row)
        rc = row(ctx, c, err);
    co_cursor_close(c);
    return rc;
}
