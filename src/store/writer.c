/*
 * writer.c: the write tokens of one-writer databases (writer.h), one per
 * database file, kept in a process-wide list behind a mutex (jobs are
 * threads of one process). A token is named by the file's real path, so
 * that two spellings of one file share it; tokens are never freed (one per
 * file a run writes).
 */
#include "store/writer.h"
#include "store/store_int.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct co_write_token {
    char *path;
    bool held;
    co_store *holder; /* while held */
    co_write_token *next;
};

static pthread_mutex_t tokens_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tokens_given = PTHREAD_COND_INITIALIZER;
static co_write_token *tokens;

/* The token of path, made when new; NULL out of memory. Under tokens_lock. */
static co_write_token *token_of(const char *path)
{
    for (co_write_token *t = tokens; t; t = t->next)
        if (strcmp(t->path, path) == 0)
            return t;
    co_write_token *t = calloc(1, sizeof *t);
    if (!t || !(t->path = strdup(path))) {
        free(t);
        return NULL;
    }
    t->next = tokens;
    tokens = t;
    return t;
}

co_code Co_store_writer_take(const co_store *s, co_write_token **out, co_error *err)
{
    *out = NULL;
    const char *path = s ? s->sqlite_path : NULL;
    if (!path || !*path || strcmp(path, ":memory:") == 0 || !co_store_one_writer(s))
        return CO_OK; /* writers side by side, or a database of this connection only */
    char real[PATH_MAX];
    const char *name = realpath(path, real) ? real : path;
    pthread_mutex_lock(&tokens_lock);
    co_write_token *t = token_of(name);
    while (t && t->held)
        pthread_cond_wait(&tokens_given, &tokens_lock);
    if (t) {
        t->held = true;
        t->holder = (co_store *)s;
    }
    pthread_mutex_unlock(&tokens_lock);
    if (t && s->ops->writing)
        s->ops->writing(t->holder, true);
    *out = t;
    return t ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

void Co_store_writer_give(co_write_token *t)
{
    if (!t)
        return;
    if (t->holder->ops->writing)
        t->holder->ops->writing(t->holder, false);
    pthread_mutex_lock(&tokens_lock);
    t->held = false;
    t->holder = NULL;
    pthread_cond_broadcast(&tokens_given);
    pthread_mutex_unlock(&tokens_lock);
}

void Co_store_writer_cache(co_store *s, size_t kib)
{
    if (!s)
        return;
    s->cache_cap_kib = kib;
    if (s->ops->writing) /* the cache it has now, until a token is taken */
        s->ops->writing(s, false);
}
