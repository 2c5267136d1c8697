/* rejects.c: writing reject files and their journal index (rejects.h). */
#include "engine/rejects.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A file name for the tenant (util/fs.h: encoded and bounded). */
static void file_name(co_buf *b, const char *tenant)
{
    Co_key_file_name(b, tenant);
    Co_buf_adds(b, ".jsonl");
}

co_code Co_rejects_open(co_rejects *r, const char *dir, co_state *state, int64_t run_id,
                        const char *tenant, bool append, co_error *err)
{
    memset(r, 0, sizeof *r);
    r->state = state;
    r->run_id = run_id;
    r->tenant = tenant;
    if (!Co_mkdir_p(dir))
        return co_error_set(err, CO_EIO, "cannot create the rejects directory %s: %s", dir,
                            strerror(errno));
    co_buf path = CO_BUF_INIT;
    Co_buf_adds(&path, dir);
    Co_buf_addc(&path, '/');
    file_name(&path, tenant);
    if (path.failed) {
        Co_buf_release(&path);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    r->path = co_buf_detach(&path);
    r->file = fopen(r->path, append ? "a" : "w");
    if (!r->file)
        return co_error_set(err, CO_EIO, "cannot write %s: %s", r->path, strerror(errno));
    return append ? CO_OK : co_state_rejects_clear(state, tenant, err);
}

co_code Co_rejects_add(co_rejects *r, const char *entity, const char *key, const char *rule,
                       const char *reason, const co_value *row, const char *const *names,
                       size_t ncols, co_error *err)
{
    co_buf line = CO_BUF_INIT;
    Co_json_field(&line, "{\"tenant\":", r->tenant);
    Co_json_field(&line, ",\"entity\":", entity);
    Co_buf_printf(&line, ",\"key\":%s,\"rule\":", key);
    Co_json_str(&line, rule);
    Co_json_field(&line, ",\"reason\":", reason);
    Co_buf_adds(&line, ",\"row\":");
    Co_json_row(&line, names, row, ncols);
    Co_buf_adds(&line, "}\n");
    co_code rc = CO_OK;
    if (line.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    else if (fwrite(line.data, 1, line.len, r->file) != line.len)
        rc = co_error_set(err, CO_EIO, "cannot write %s: %s", r->path, strerror(errno));
    Co_buf_release(&line);
    if (rc == CO_OK)
        rc = co_state_reject_add(r->state, r->run_id, r->tenant, entity, key, rule, reason, err);
    if (rc == CO_OK)
        r->count++;
    return rc;
}

co_code Co_rejects_sync(co_rejects *r, co_error *err)
{
    if (r->file && fflush(r->file) != 0)
        return co_error_set(err, CO_EIO, "cannot write %s: %s", r->path, strerror(errno));
    return CO_OK;
}

co_code Co_rejects_close(co_rejects *r, co_error *err)
{
    co_code rc = CO_OK;
    if (r->file && fclose(r->file) != 0)
        rc = co_error_set(err, CO_EIO, "cannot write %s: %s", r->path, strerror(errno));
    r->file = NULL;
    return rc;
}

void Co_rejects_release(co_rejects *r)
{
    if (r->file)
        fclose(r->file);
    free(r->path);
    memset(r, 0, sizeof *r);
}
