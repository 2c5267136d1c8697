/*
 * project.c: the public functions of project.h around the parser: reading the
 * file, hashing its bytes, freeing a project. The YAML walk is in parse.c,
 * the cross-checks in validate.c and the lookups by name in lookup.c.
 */
#include "project/project_int.h"
#include "util/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void co_project_free(co_project *p)
{
    if (!p)
        return;
    free(p->path);
    free(p->dir);
    Co_project_release_fields(p);
    free(p);
}

/* The directory part of path: "." when there is none, "/" for a file at the
 * root; trailing slashes are dropped. NULL when out of memory. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    size_t len = (size_t)(slash - path);
    while (len > 0 && path[len - 1] == '/')
        len--;
    if (len == 0)
        return strdup("/");
    return strndup(path, len);
}

/* Reads the whole file into b; on failure returns errno's value (or EFBIG
 * when the file is larger than CO_PROJECT_MAX_BYTES, ENOMEM when b failed). */
static int read_file(const char *path, co_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno ? errno : EIO;
    char chunk[65536];
    int rc = 0;
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n > 0) {
            if (b->len + n > CO_PROJECT_MAX_BYTES) {
                rc = EFBIG;
                break;
            }
            Co_buf_add(b, chunk, n);
            if (b->failed) {
                rc = ENOMEM;
                break;
            }
        }
        if (n < sizeof chunk) {
            if (ferror(f))
                rc = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    return rc;
}

co_code co_project_load(const char *path, co_project **out, co_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !*path || !out)
        return co_error_set(err, CO_EUSAGE, "co_project_load needs a path and an out pointer");

    co_buf text = CO_BUF_INIT;
    errno = 0;
    int rc = read_file(path, &text);
    if (rc == ENOMEM) {
        Co_buf_release(&text);
        return co_error_set(err, CO_ENOMEM, "out of memory reading %s", path);
    }
    if (rc == EFBIG) {
        Co_buf_release(&text);
        co_error_set(err, CO_EPROJECT, "%s is larger than %zu MiB, too large for a project file",
                     path, CO_PROJECT_MAX_BYTES >> 20);
        co_error_where(err, "%s", path);
        return CO_EPROJECT;
    }
    if (rc != 0) {
        Co_buf_release(&text);
        co_error_set(err, CO_EIO, "cannot read %s: %s", path, strerror(rc));
        co_error_where(err, "%s", path);
        return CO_EIO;
    }

    char *dir = dir_of(path);
    if (!dir) {
        Co_buf_release(&text);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_code code = co_project_parse(co_buf_str(&text), text.len, path, dir, out, err);
    free(dir);
    Co_buf_release(&text);
    return code;
}

co_code co_project_parse(const char *text, size_t len, const char *name, const char *dir,
                         co_project **out, co_error *err)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len > 0))
        return co_error_set(err, CO_EUSAGE, "co_project_parse needs text and an out pointer");
    if (!text)
        text = "";
    if (!name || !*name)
        name = "<string>";
    if (!dir || !*dir)
        dir = ".";

    co_project *p = calloc(1, sizeof *p);
    if (!p)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    p->path = strdup(name);
    p->dir = strdup(dir);
    if (!p->path || !p->dir) {
        co_project_free(p);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    snprintf(p->hash, sizeof p->hash, "%016llx", (unsigned long long)XXH3_64bits(text, len));

    co_code code = Co_project_check_bytes(text, len, name, err);
    if (code == CO_OK)
        code = Co_project_walk(p, text, len, name, err);
    if (code != CO_OK) {
        co_project_free(p);
        return code;
    }
    *out = p;
    return CO_OK;
}

