/*
 * sqlite_checkpoint.c: the checkpoints of a SQLite file in WAL mode, moved
 * off the thread that loads it onto a thread of their own (sqlite_int.h).
 *
 * In WAL mode a commit appends pages to the WAL, and a checkpoint copies
 * them back into the database file. SQLite runs that checkpoint inside the
 * commit that passes 1,000 pages, on the writing thread: the load waits
 * while the pages it has just written are read back, written again and
 * synced. While a load holds a target's write token (writer.h), its
 * connections hand each such commit to a checkpointer instead: a thread with
 * a connection of its own runs a PASSIVE checkpoint beside the next batch,
 * on the other core. A PASSIVE checkpoint takes no lock a writer needs.
 *
 * SQLite starts the WAL over only when a write transaction begins with every
 * frame copied back (and no reader on an older snapshot); a writer that
 * always commits while the thread copies would grow it without end. So once
 * the WAL holds cap_frames, the commit waits for the thread and copies the
 * rest itself, as SQLite would have: the next batch then starts the WAL
 * over. The WAL file stays under about cap_frames pages plus one batch, and
 * keeps that size until the last connection closes it; a reader on an older
 * snapshot (a verification beside the load) holds every checkpoint short of
 * it and the WAL's start over, as it does with SQLite's own checkpoints.
 * CUTOVER_CHECKPOINT=0 in the environment leaves the checkpoints in the
 * commits, as SQLite has them.
 */
#include "store/sqlite_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sq_checkpointer {
    pthread_mutex_t mu;
    pthread_cond_t wake; /* a commit asks for a checkpoint, or stop */
    pthread_cond_t idle; /* the thread has nothing in hand */
    pthread_t thread;
    bool started, pending, running, stop;
    bool failed; /* no thread, or its connection would not open: commits copy */
    int refs;
    int frames, cap_frames;
    long rounds, inline_rounds;
    char *path;
};

static void *checkpoint_run(void *arg)
{
    sq_checkpointer *c = arg;
    sqlite3 *db = NULL;
    /* A connection of its own, synchronous FULL: its checkpoints sync the
     * WAL before they copy and the file after, so that the WAL may start over
     * without a window where its pages are lost. It reads the file once: a
     * connection checkpoints a WAL only once it has found the file in WAL
     * mode, and until then does nothing. */
    bool usable =
        sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) ==
            SQLITE_OK &&
        sqlite3_busy_timeout(db, 60000) == SQLITE_OK &&
        sqlite3_exec(db, "PRAGMA synchronous = FULL; SELECT 1 FROM sqlite_schema LIMIT 1", NULL,
                     NULL, NULL) == SQLITE_OK;
    if (!usable) {
        sqlite3_close_v2(db);
        db = NULL;
        pthread_mutex_lock(&c->mu);
        c->failed = true; /* the commits copy for themselves from now on */
        c->pending = false;
        pthread_cond_broadcast(&c->idle);
        pthread_mutex_unlock(&c->mu);
        return NULL;
    }
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->pending && !c->stop)
            pthread_cond_wait(&c->wake, &c->mu);
        if (!c->pending)
            break;
        c->pending = false;
        c->running = true;
        pthread_mutex_unlock(&c->mu);
        /* SQLITE_BUSY when another connection checkpoints: it does the work. */
        sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->mu);
        c->running = false;
        c->rounds++;
        pthread_cond_broadcast(&c->idle);
    }
    pthread_mutex_unlock(&c->mu);
    sqlite3_close_v2(db);
    return NULL;
}

/* True unless CUTOVER_CHECKPOINT=0 (to compare the two). */
static bool wanted(void)
{
    const char *e = getenv("CUTOVER_CHECKPOINT");
    return !(e && strcmp(e, "0") == 0);
}

sq_checkpointer *Co_sqlite_checkpointer_new(const char *path, int frames, int cap_frames)
{
    if (!path || !*path || strcmp(path, ":memory:") == 0 || !wanted())
        return NULL;
    sq_checkpointer *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    pthread_cond_init(&c->idle, NULL);
    c->refs = 1;
    c->frames = frames > 0 ? frames : 1;
    c->cap_frames = cap_frames > c->frames ? cap_frames : c->frames;
    return c;
}

void Co_sqlite_checkpointer_release(sq_checkpointer *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    bool last = --c->refs == 0;
    if (last) {
        c->stop = true;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->mu);
    if (!last)
        return;
    if (c->started)
        pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->idle);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    free(c->path);
    free(c);
}

void Co_sqlite_checkpointer_counts(sq_checkpointer *c, long *rounds, long *inline_rounds)
{
    pthread_mutex_lock(&c->mu);
    while (c->started && (c->pending || c->running))
        pthread_cond_wait(&c->idle, &c->mu);
    *rounds = c->rounds;
    *inline_rounds = c->inline_rounds;
    pthread_mutex_unlock(&c->mu);
}

/* The WAL hook (sqlite3_wal_hook): after a commit into schema, with frames
 * pages in the WAL. Under 1,000 pages nothing; past the cap the commit waits
 * for the thread and finishes the copy itself; else the thread is woken. */
static int on_commit(void *ctx, sqlite3 *db, const char *schema, int frames)
{
    sq_checkpoint_link *l = ctx;
    sq_checkpointer *c = l->to;
    if (!c || frames < c->frames || strcmp(schema, l->schema) != 0)
        return SQLITE_OK;
    bool here = false;
    pthread_mutex_lock(&c->mu);
    if (!c->started && !c->failed) {
        c->started = pthread_create(&c->thread, NULL, checkpoint_run, c) == 0;
        c->failed = !c->started;
    }
    if (c->failed || frames >= c->cap_frames) {
        while (c->pending || c->running)
            pthread_cond_wait(&c->idle, &c->mu);
        c->inline_rounds++;
        here = true;
    } else {
        c->pending = true;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->mu);
    if (here) /* what SQLite's own hook does, on this connection */
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

void Co_sqlite_checkpointer_follow(sq_checkpoint_link *l, sq_checkpointer *c, sqlite3 *db,
                                   const char *schema)
{
    Co_sqlite_checkpointer_unfollow(l, db);
    if (!c || strlen(schema) >= sizeof l->schema)
        return;
    pthread_mutex_lock(&c->mu);
    c->refs++;
    pthread_mutex_unlock(&c->mu);
    l->to = c;
    strcpy(l->schema, schema);
    sqlite3_wal_hook(db, on_commit, l);
}

void Co_sqlite_checkpointer_unfollow(sq_checkpoint_link *l, sqlite3 *db)
{
    if (!l->to)
        return;
    /* SQLite's own checkpoints again (this replaces the hook) */
    sqlite3_wal_autocheckpoint(db, SQ_CHECKPOINT_FRAMES);
    sq_checkpointer *c = l->to;
    l->to = NULL;
    Co_sqlite_checkpointer_release(c);
}
