/*
 * identity.c: the journal's identity (a uuid made when it is created) and the
 * checks that keep a lost journal from being replaced silently: a state file
 * that exists must be a cutover journal (not 0 bytes, not another database).
 * The identity is what cutover writes beside its traces on the source and the
 * target (engine/traces.c), so that a run with another journal sees them.
 */
#include "cutover/state.h"
#include "state/state_int.h"
#include "util/buf.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 16 random bytes as a version 4 uuid (8-4-4-4-12 hex). */
static co_code new_uuid(char out[37], co_error *err)
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof b)
        return co_error_set(err, CO_EIO, "state: cannot read /dev/urandom for the journal's "
                                         "identity: %s", strerror(errno));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return CO_OK;
}

co_code co_state_journal_id(co_state *st, char out[37], co_error *err)
{
    out[0] = '\0';
    co_store *db = Co_state_store(st);
    /* the table is part of the journal's schema, created under its lock:
     * workers that start together on PostgreSQL would race on CREATE TABLE */
    char uuid[37], now[32];
    co_code rc = new_uuid(uuid, err);
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_param p[] = {{NULL, co_text(uuid, strlen(uuid))}, {NULL, co_text(now, strlen(now))}};
    if (rc == CO_OK)
        rc = co_store_exec_params(db,
                                  "INSERT INTO journal_identity (id, uuid, created_at)"
                                  " VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
                                  p, 2, NULL, err);
    co_cursor *c = NULL;
    if (rc == CO_OK)
        rc = co_store_query(db, "SELECT uuid FROM journal_identity WHERE id = 1", NULL, 0, &c,
                            err);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        if (v.type == CO_TEXT && v.len < 37) {
            memcpy(out, v.s, v.len);
            out[v.len] = '\0';
        }
    }
    co_cursor_close(c);
    if (rc == CO_OK && !out[0])
        rc = co_error_set(err, CO_ESTATE, "state: the journal's identity is unreadable");
    return rc;
}

co_code co_state_file_check(const char *uri, const char *base_dir, co_error *err)
{
    const char *path = co_store_uri_file(uri);
    if (!path || !*path || strcmp(path, ":memory:") == 0)
        return CO_OK;
    co_buf full = CO_BUF_INIT;
    if (path[0] != '/' && base_dir && *base_dir && strcmp(base_dir, ".") != 0)
        Co_buf_printf(&full, "%s/", base_dir);
    Co_buf_adds(&full, path);
    if (full.failed) {
        Co_buf_release(&full);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    struct stat sb;
    co_code rc = CO_OK;
    /* A journal another process has just created is 0 bytes for an instant,
     * until it writes its first page: a file that new gets a second to grow. */
    for (int wait = 0; wait < 20 && stat(full.data, &sb) == 0 && S_ISREG(sb.st_mode) &&
                       sb.st_size == 0 && time(NULL) - sb.st_mtime < 2;
         wait++)
        Co_pause_ms(50);
    if (stat(full.data, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0)
        rc = co_error_set(err, CO_ESTATE,
                          "state: %s is empty (0 bytes), not a cutover journal; cutover will not "
                          "start a new journal in its place. If the journal was lost, move this "
                          "file away and rebuild one with cutover recover-journal; if nothing "
                          "ran yet, delete it",
                          full.data);
    Co_buf_release(&full);
    return rc;
}

co_code co_state_is_journal(co_state *st, co_error *err)
{
    co_store *db = Co_state_store(st);
    if (!co_store_caps(db).one_file) /* a server's database may hold others' tables */
        return CO_OK;
    int64_t tables = 0, setup = 0;
    co_code rc = co_store_query_int(db,
                                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                                    " AND name NOT LIKE 'sqlite_%'",
                                    NULL, 0, &tables, NULL, err);
    if (rc == CO_OK)
        rc = co_store_query_int(db,
                                "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                                " AND name = 'setup'",
                                NULL, 0, &setup, NULL, err);
    if (rc == CO_OK && tables > 0 && setup == 0)
        rc = co_error_set(err, CO_ESTATE,
                          "state: %s holds %lld tables but is not a cutover journal (it has no "
                          "setup table); name the journal with --state, or move this file away",
                          co_store_safe_uri(db), (long long)tables);
    return rc;
}
