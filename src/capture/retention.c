/*
 * retention.c: after a switch, the tenant's source rows are kept for the
 * retention window: archive writes them to a compressed file, finalize ends
 * the window (cutover.h).
 */
#include "state/journal.h"
#include "cutover/capture.h"
#include "cutover/approval.h"
#include "cutover/cutover_seq.h"
#include "cutover/traces.h"
#include "capture/capture_int.h"
#include "capture/reverse_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

void co_archive_result_release(co_archive_result *r)
{
    free(r->path);
    memset(r, 0, sizeof *r);
}

typedef struct zwriter {
    FILE *f;
    ZSTD_CCtx *cctx;
    char out[1 << 16];
    int64_t bytes;
} zwriter;

/* Compresses len bytes (end: finish the frame) and writes what comes out. */
static bool zwrite(zwriter *z, const void *data, size_t len, bool end)
{
    ZSTD_inBuffer in = {data, len, 0};
    for (;;) {
        ZSTD_outBuffer out = {z->out, sizeof z->out, 0};
        size_t left = ZSTD_compressStream2(z->cctx, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(left))
            return false;
        if (out.pos && fwrite(z->out, 1, out.pos, z->f) != out.pos)
            return false;
        z->bytes += (int64_t)out.pos;
        if (end ? left == 0 : in.pos == in.size)
            return true;
    }
}

co_code co_archive_tenant(co_session *s, const co_tenant *t, co_archive_result *res,
                          co_error *err)
{
    memset(res, 0, sizeof *res);
    const co_project *p = s->project;
    char when[32];
    Co_clock_iso(Co_clock_now(), when, sizeof when);
    co_buf path = CO_BUF_INIT, line = CO_BUF_INIT;
    Co_buf_printf(&path, "%s/.cutover/archive", p->dir);
    if (!Co_mkdir_p(co_buf_str(&path))) {
        co_code rc = co_error_set(err, CO_EIO, "cannot create %s: %s", co_buf_str(&path),
                                  strerror(errno));
        Co_buf_release(&path);
        return rc;
    }
    Co_buf_addc(&path, '/');
    Co_key_file_name(&path, t->key); /* encoded and bounded (util/fs.h) */
    for (char *q = when; *q; q++)
        if (*q == ':')
            *q = '-';
    Co_buf_printf(&path, "-%s.jsonl.zst", when);
    zwriter z = {0};
    z.f = fopen(co_buf_str(&path), "wb");
    z.cctx = ZSTD_createCCtx();
    co_code rc = CO_OK;
    if (!z.f || !z.cctx)
        rc = co_error_set(err, CO_EIO, "cannot write %s: %s", co_buf_str(&path), strerror(errno));
    if (rc == CO_OK)
        ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_compressionLevel, 3);
    /* A header line: what this is, from which project file. */
    Co_buf_adds(&line, "{\"archive\":\"cutover\",\"tenant\":");
    Co_json_str(&line, t->key);
    Co_buf_printf(&line, ",\"project_hash\":\"%s\",\"at\":\"%s\"}\n", p->hash, when);
    if (rc == CO_OK && !zwrite(&z, line.data, line.len, false))
        rc = co_error_set(err, CO_EIO, "cannot write %s", co_buf_str(&path));
    co_param tenant = {":tenant", t->value};
    for (size_t i = 0; rc == CO_OK && i < p->nentities; i++) {
        const co_entity *e = &p->entities[i];
        co_cursor *c = NULL;
        rc = co_store_query(s->source, e->query, &tenant, 1, &c, err);
        bool has_row;
        while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
            Co_buf_reset(&line);
            Co_entity_row_line(&line, e->name, c);
            if (line.failed || !zwrite(&z, line.data, line.len, false))
                rc = co_error_set(err, CO_EIO, "cannot write %s", co_buf_str(&path));
            res->rows++;
        }
        co_cursor_close(c);
    }
    if (rc == CO_OK && !zwrite(&z, "", 0, true))
        rc = co_error_set(err, CO_EIO, "cannot write %s", co_buf_str(&path));
    if (z.f && fclose(z.f) != 0 && rc == CO_OK)
        rc = co_error_set(err, CO_EIO, "cannot write %s", co_buf_str(&path));
    ZSTD_freeCCtx(z.cctx);
    Co_buf_release(&line);
    res->bytes = z.bytes;
    if (rc == CO_OK) {
        rc = Co_state_archive_add(s->state, t->key, co_buf_str(&path), res->rows, res->bytes,
                                  p->hash, when, err);
    }
    res->path = co_buf_detach(&path);
    return rc;
}

co_code co_finalize_tenant(co_session *s, const co_tenant *t, co_error *err)
{
    char route[8], switched[32];
    co_code rc = co_state_route_read(s->state, t->key, route, sizeof route, switched,
                                     sizeof switched, err);
    if (rc != CO_OK)
        return rc;
    if (strcmp(route, "new") != 0)
        return co_error_set(err, CO_ENOTREADY, "tenant %s is not switched: nothing to finalize",
                            t->key);
    time_t since = Co_clock_parse(switched);
    time_t until = since + (time_t)s->project->retention_days * 86400;
    if (since == -1 || Co_clock_now() < until) {
        char when[32];
        Co_clock_iso(until, when, sizeof when);
        return co_error_set(err, CO_ENOTREADY,
                            "tenant %s switched at %s: its undo stays open for %d days, until %s; "
                            "finalize is refused before then",
                            t->key, switched, s->project->retention_days, when);
    }
    rc = co_approval_check(s->state, s->project, t->key, "finalize", s->user, err);
    if (rc != CO_OK)
        return rc;
    co_store *cap = NULL;
    rc = co_store_open(s->project->source, CO_SIDE_SOURCE, s->project->dir, &cap, err);
    if (rc == CO_OK)
        rc = co_store_allow_writes(cap, err);
    if (rc == CO_OK && s->project->ncapture)
        rc = co_capture_stop(cap, s->project, t->key, err);
    if (rc == CO_OK) /* the undo window closed: reverse sync ends with it */
        rc = Co_reverse_end(s, cap, t, err);
    if (rc == CO_OK) /* the target's mark stays: its rows are the new system's */
        rc = co_traces_unmark(cap, t->key, err);
    co_store_close(cap);
    if (rc == CO_OK)
        rc = co_state_tenant_move(s->state, t->key, CO_LC_FINALIZED, 0, err);
    return rc;
}
