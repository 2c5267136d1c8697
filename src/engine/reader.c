/* reader.c: a thread that reads the source while the target loads (reader.h). */
#include "engine/reader.h"
#include "util/buf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NBATCHES 3
#define BATCH_ROWS 1024
#define BATCH_BYTES (1024 * 1024)

typedef struct batch {
    co_value *vals;   /* BATCH_ROWS * width */
    size_t *offsets;  /* where each text or blob value starts in bytes */
    co_buf bytes;
    size_t nrows;
    bool last;        /* the cursor ended (or failed) after these rows */
    co_code rc;
    co_error err;
} batch;

struct co_reader {
    co_cursor *c;
    size_t width;
    batch b[NBATCHES];
    size_t full[NBATCHES], nfull, full_head; /* a queue of filled batches, in order */
    size_t free_[NBATCHES], nfree;
    batch *current; /* the batch the loader reads, or NULL */
    size_t at;      /* its next row */
    bool stop, done;
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
    pthread_t thread;
};

bool Co_reader_wanted(void)
{
    const char *e = getenv("CUTOVER_OVERLAP");
    return !(e && strcmp(e, "0") == 0);
}

/* Fills b from the cursor, copying every value out of it. */
static void fill(co_reader *r, batch *b)
{
    b->nrows = 0;
    b->last = false;
    b->rc = CO_OK;
    co_error_clear(&b->err);
    Co_buf_reset(&b->bytes);
    bool has_row;
    while (b->nrows < BATCH_ROWS && b->bytes.len < BATCH_BYTES) {
        b->rc = co_cursor_next(r->c, &has_row, &b->err);
        if (b->rc != CO_OK || !has_row) {
            b->last = true;
            break;
        }
        co_value *row = b->vals + b->nrows * r->width;
        for (size_t i = 0; i < r->width; i++) {
            row[i] = co_cursor_value(r->c, i);
            if (row[i].type == CO_TEXT || row[i].type == CO_BLOB) {
                b->offsets[b->nrows * r->width + i] = b->bytes.len;
                Co_buf_add(&b->bytes, row[i].s, row[i].len);
            }
        }
        b->nrows++;
    }
    if (b->bytes.failed && b->rc == CO_OK) {
        b->rc = co_error_set(&b->err, CO_ENOMEM, "out of memory");
        b->last = true;
    }
    /* The bytes stay where they are now: point the values at them. */
    for (size_t k = 0; b->rc == CO_OK && k < b->nrows * r->width; k++)
        if (b->vals[k].type == CO_TEXT || b->vals[k].type == CO_BLOB)
            b->vals[k].s = b->bytes.data ? b->bytes.data + b->offsets[k] : "";
}

static void *run(void *arg)
{
    co_reader *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->nfree == 0 && !r->stop)
            pthread_cond_wait(&r->freed, &r->mu);
        if (r->stop) {
            pthread_mutex_unlock(&r->mu);
            return NULL;
        }
        batch *b = &r->b[r->free_[--r->nfree]];
        pthread_mutex_unlock(&r->mu);
        fill(r, b);
        pthread_mutex_lock(&r->mu);
        r->full[(r->full_head + r->nfull) % NBATCHES] = (size_t)(b - r->b);
        r->nfull++;
        pthread_cond_signal(&r->filled);
        pthread_mutex_unlock(&r->mu);
        if (b->last)
            return NULL;
    }
}

static void release(co_reader *r)
{
    for (size_t i = 0; i < NBATCHES; i++) {
        free(r->b[i].vals);
        free(r->b[i].offsets);
        Co_buf_release(&r->b[i].bytes);
    }
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->filled);
    pthread_cond_destroy(&r->freed);
    free(r);
}

co_code Co_reader_start(co_cursor *c, size_t width, co_reader **out, co_error *err)
{
    *out = NULL;
    co_reader *r = calloc(1, sizeof *r);
    if (!r)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    r->c = c;
    r->width = width ? width : 1;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->filled, NULL);
    pthread_cond_init(&r->freed, NULL);
    bool ok = true;
    for (size_t i = 0; i < NBATCHES; i++) {
        r->b[i].vals = calloc(BATCH_ROWS * r->width, sizeof *r->b[i].vals);
        r->b[i].offsets = calloc(BATCH_ROWS * r->width, sizeof *r->b[i].offsets);
        ok = ok && r->b[i].vals && r->b[i].offsets;
        r->free_[r->nfree++] = NBATCHES - 1 - i;
    }
    if (!ok || pthread_create(&r->thread, NULL, run, r) != 0) {
        release(r);
        return co_error_set(err, ok ? CO_EINTERNAL : CO_ENOMEM,
                            ok ? "cannot start the reading thread" : "out of memory");
    }
    *out = r;
    return CO_OK;
}

co_code Co_reader_next(co_reader *r, const co_value **row, bool *has_row, co_error *err)
{
    *has_row = false;
    while (!r->current || r->at >= r->current->nrows) {
        if (r->done)
            return CO_OK;
        pthread_mutex_lock(&r->mu);
        if (r->current) { /* its rows are taken: the reader may fill it again */
            r->free_[r->nfree++] = (size_t)(r->current - r->b);
            pthread_cond_signal(&r->freed);
        }
        while (r->nfull == 0)
            pthread_cond_wait(&r->filled, &r->mu);
        r->current = &r->b[r->full[r->full_head]];
        r->full_head = (r->full_head + 1) % NBATCHES;
        r->nfull--;
        pthread_mutex_unlock(&r->mu);
        r->at = 0;
        if (r->current->last) {
            r->done = true;
            if (r->current->rc != CO_OK) {
                if (err)
                    *err = r->current->err;
                return r->current->rc;
            }
        }
    }
    *row = r->current->vals + r->at * r->width;
    r->at++;
    *has_row = true;
    return CO_OK;
}

void Co_reader_stop(co_reader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_signal(&r->freed);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    release(r);
}
