/*
 * generate.c: co_demo_init, the order of work: check the options, plan,
 * choose the plants, write legacy.db (tables, rows in one transaction,
 * indexes last), create the empty crm.db and staging.db (in WAL mode), and
 * write cutover.yaml and planted.json. Each file is written under a
 * ".partial" name and renamed into place when complete, so a failed run
 * never leaves a half-written demo file behind under its real name.
 */
#include "cutover/demo.h"
#include "demo/demo_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The three text files compiled in by CMake (examples/crm/). */
extern const char co_embed_crm_legacy_schema[];
extern const char co_embed_crm_target_schema[];
extern const char co_embed_crm_project[];

/* legacy-schema.sql: statements above this line run before the rows are
 * written, the ones below it (the indexes) after. */
static const char AFTER_LOAD_MARK[] = "\n-- @after-load";

/* staging.db: the project file names it, and rehearsals load into it, so it
 * starts as an empty copy of the target schema, like crm.db. */
static const char *const DEMO_FILES[] = {"legacy.db", "crm.db", "staging.db", "cutover.yaml",
                                         "planted.json"};
enum { F_LEGACY, F_CRM, F_STAGING, F_YAML, F_PLANTED, F_COUNT };

void demo_progress(const demo_plan *p, const char *what, uint64_t done, uint64_t total)
{
    if (p->progress)
        p->progress(p->progress_ctx, what, done, total);
}

co_code demo_sqlite_error(sqlite3 *db, int rc, const char *what, co_error *err)
{
    co_code code;
    switch (rc & 0xff) {
    case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_CANTOPEN: case SQLITE_READONLY:
    case SQLITE_PERM: case SQLITE_NOTADB: case SQLITE_CORRUPT:
        code = CO_EIO;
        break;
    case SQLITE_NOMEM:
        code = CO_ENOMEM;
        break;
    default:
        code = CO_EINTERNAL;
    }
    return co_error_set(err, code, "demo: %s: %s", what,
                        db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* mkdir -p */
static co_code make_dir(const char *dir, co_error *err)
{
    co_buf path = CO_BUF_INIT;
    Co_buf_adds(&path, dir);
    if (path.failed)
        return co_error_set(err, CO_ENOMEM, "demo: out of memory");
    char *s = path.data;
    co_code rc = CO_OK;
    for (size_t i = 1; rc == CO_OK && i <= path.len; i++) {
        if (s[i] != '/' && s[i] != '\0')
            continue;
        char saved = s[i];
        s[i] = '\0';
        struct stat st;
        if (mkdir(s, 0777) != 0 && errno != EEXIST)
            rc = co_error_set(err, CO_EIO, "demo: cannot create directory %s: %s", s,
                              strerror(errno));
        else if (stat(s, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = co_error_set(err, CO_EIO, "demo: %s is not a directory", s);
        s[i] = saved;
    }
    Co_buf_release(&path);
    return rc;
}

typedef struct files {
    co_buf final[F_COUNT];
    co_buf partial[F_COUNT];
} files;

static co_code files_init(files *f, const char *dir, co_error *err)
{
    memset(f, 0, sizeof *f);
    bool failed = false;
    for (int i = 0; i < F_COUNT; i++) {
        Co_buf_printf(&f->final[i], "%s/%s", dir, DEMO_FILES[i]);
        Co_buf_printf(&f->partial[i], "%s/%s.partial", dir, DEMO_FILES[i]);
        failed |= f->final[i].failed || f->partial[i].failed;
    }
    return failed ? co_error_set(err, CO_ENOMEM, "demo: out of memory") : CO_OK;
}

static void files_release(files *f, bool remove_partial)
{
    for (int i = 0; i < F_COUNT; i++) {
        if (remove_partial && f->partial[i].data)
            unlink(f->partial[i].data);
        Co_buf_release(&f->final[i]);
        Co_buf_release(&f->partial[i]);
    }
}

/* Creates (or empties) a file, to learn early and plainly when the
 * directory cannot be written. */
static co_code create_empty(const char *path, co_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return co_error_set(err, CO_EIO, "demo: cannot write %s: %s", path, strerror(errno));
    close(fd);
    return CO_OK;
}

static co_code write_file(const char *path, const char *data, size_t len, co_error *err)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return co_error_set(err, CO_EIO, "demo: cannot write %s: %s", path, strerror(errno));
    size_t n = fwrite(data, 1, len, fp);
    int e = errno;
    if (fclose(fp) != 0 || n != len)
        return co_error_set(err, CO_EIO, "demo: cannot write %s: %s", path,
                            strerror(n != len ? e : errno));
    return CO_OK;
}

static co_code exec(sqlite3 *db, const char *sql, const char *what, co_error *err)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? CO_OK : demo_sqlite_error(db, rc, what, err);
}

static co_code open_db(const char *path, sqlite3 **db, co_error *err)
{
    co_code rc = create_empty(path, err);
    if (rc != CO_OK)
        return rc;
    int src = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = demo_sqlite_error(*db, src, "opening the database", err);
        sqlite3_close(*db);
        *db = NULL;
        co_error_where(err, "%s", path);
        return rc;
    }
    /* A throwaway file written once: no journal, no syncs. */
    return exec(*db,
                "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                "PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -131072;",
                "setting pragmas", err);
}

static co_code write_legacy(demo_plan *p, const char *path, co_error *err)
{
    const char *schema = co_embed_crm_legacy_schema;
    const char *mark = strstr(schema, AFTER_LOAD_MARK);
    if (!mark)
        return co_error_set(err, CO_EINTERNAL, "demo: legacy-schema.sql has no @after-load mark");
    co_buf tables = CO_BUF_INIT;
    Co_buf_add(&tables, schema, (size_t)(mark - schema));
    if (tables.failed)
        return co_error_set(err, CO_ENOMEM, "demo: out of memory");

    sqlite3 *db = NULL;
    co_code rc = open_db(path, &db, err);
    if (rc == CO_OK)
        rc = exec(db, tables.data, "creating the legacy tables", err);
    if (rc == CO_OK)
        rc = exec(db, "BEGIN", "starting the load", err);
    if (rc == CO_OK)
        rc = demo_write_contacts(p, db, err);
    if (rc == CO_OK)
        rc = demo_write_events(p, db, err);
    if (rc == CO_OK)
        demo_progress(p, "indexes", 0, 0); /* a step, no rows */
    /* Measured at scale 1: CREATE INDEX sorts fastest with two sorter
     * threads, a small cache (the sorter's memory follows it) and temporary
     * files rather than memory (in memory, the sorter uses one thread). */
    if (rc == CO_OK)
        rc = exec(db, "PRAGMA threads = 2; PRAGMA cache_size = -32768;", "setting pragmas", err);
    if (rc == CO_OK)
        rc = exec(db, mark + 1, "creating the legacy indexes", err);
    if (rc == CO_OK)
        rc = exec(db, "COMMIT", "committing the load", err);
    if (rc == CO_OK)
        demo_progress(p, "indexes", 0, 0);
    Co_buf_release(&tables);
    if (db && sqlite3_close(db) != SQLITE_OK && rc == CO_OK)
        rc = co_error_set(err, CO_EIO, "demo: closing %s failed", path);
    if (rc != CO_OK)
        co_error_where(err, "%s", path);
    return rc;
}

static co_code write_target(const char *path, co_error *err)
{
    sqlite3 *db = NULL;
    co_code rc = open_db(path, &db, err);
    if (rc == CO_OK)
        rc = exec(db, co_embed_crm_target_schema, "creating the target schema", err);
    /* In WAL mode, as the journal: the new CRM's readers (its application,
     * a dashboard) keep reading while cutover writes, instead of meeting
     * "database is locked". The mode is the file's, not the connection's. */
    if (rc == CO_OK)
        rc = exec(db, "PRAGMA locking_mode = NORMAL; PRAGMA journal_mode = WAL;",
                  "setting WAL mode", err);
    if (db && sqlite3_close(db) != SQLITE_OK && rc == CO_OK)
        rc = co_error_set(err, CO_EIO, "demo: closing %s failed", path);
    if (rc != CO_OK)
        co_error_where(err, "%s", path);
    return rc;
}

static co_code check_options(const co_demo_options *opt, demo_plan *p, co_error *err)
{
    if (!opt || !opt->dir || !*opt->dir)
        return co_error_set(err, CO_EUSAGE, "demo: no directory given");
    if (!(opt->scale > 0 && opt->scale <= 10))
        return co_error_set(err, CO_EUSAGE, "demo: scale %g is outside (0, 10]", opt->scale);
    const char *now = opt->now ? opt->now : "2026-11-01";
    if (!demo_parse_date(now, &p->now))
        return co_error_set(err, CO_EUSAGE, "demo: now \"%s\" is not a date YYYY-MM-DD", now);
    memcpy(p->now_text, now, 11);
    p->seed = opt->seed;
    p->scale = opt->scale;
    p->progress = opt->progress;
    p->progress_ctx = opt->progress_ctx;
    return CO_OK;
}

co_code co_demo_init(const co_demo_options *opt, co_demo_summary *out, co_error *err)
{
    co_error_clear(err);
    demo_plan p;
    memset(&p, 0, sizeof p);
    co_code rc = check_options(opt, &p, err);
    if (rc != CO_OK)
        return rc;
    rc = make_dir(opt->dir, err);
    if (rc != CO_OK) {
        co_error_where(err, "demo directory %s", opt->dir);
        return rc;
    }
    files f;
    rc = files_init(&f, opt->dir, err);
    if (rc == CO_OK)
        rc = create_empty(f.partial[F_LEGACY].data, err);
    if (rc == CO_OK)
        rc = demo_plan_build(&p, err);
    if (rc == CO_OK)
        rc = demo_plants_choose(&p, err);
    if (rc == CO_OK)
        rc = demo_plan_order(&p, err);
    if (rc == CO_OK)
        rc = write_legacy(&p, f.partial[F_LEGACY].data, err);
    if (rc == CO_OK)
        rc = write_target(f.partial[F_CRM].data, err);
    if (rc == CO_OK)
        rc = write_target(f.partial[F_STAGING].data, err);
    if (rc == CO_OK)
        rc = write_file(f.partial[F_YAML].data, co_embed_crm_project,
                        strlen(co_embed_crm_project), err);
    if (rc == CO_OK) {
        co_buf json = CO_BUF_INIT;
        demo_plants_json(&p, &json);
        rc = json.failed ? co_error_set(err, CO_ENOMEM, "demo: out of memory")
                         : write_file(f.partial[F_PLANTED].data, json.data, json.len, err);
        Co_buf_release(&json);
    }
    for (int i = 0; rc == CO_OK && i < F_COUNT; i++) {
        if (rename(f.partial[i].data, f.final[i].data) != 0)
            rc = co_error_set(err, CO_EIO, "demo: cannot rename %s to %s: %s",
                              f.partial[i].data, f.final[i].data, strerror(errno));
    }
    if (rc == CO_OK)
        rc = demo_write_behaviour(&p, opt->dir, err);
    if (rc == CO_OK && opt->source && *opt->source)
        rc = Co_demo_to_store(opt->dir, opt->source, err);
    if (rc == CO_OK && out)
        *out = p.sum;
    files_release(&f, rc != CO_OK);
    demo_plan_release(&p);
    if (rc != CO_OK)
        co_error_where(err, "demo directory %s", opt->dir);
    return rc;
}
