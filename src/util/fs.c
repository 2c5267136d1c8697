/* fs.c: directory chores (fs.h). */
#include "util/fs.h"
#include "util/buf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

bool Co_mkdir_p(const char *dir)
{
    char *copy = strdup(dir);
    if (!copy)
        return false;
    bool ok = true;
    for (char *p = copy + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, 0777) != 0 && errno != EEXIST)
                ok = false;
            *p = saved;
            if (!saved || !ok)
                break;
        }
    }
    free(copy);
    return ok;
}

bool Co_mkdir_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return true;
    char *dir = strndup(path, (size_t)(slash - path));
    if (!dir)
        return false;
    bool ok = Co_mkdir_p(dir);
    free(dir);
    return ok;
}

bool Co_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0;
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool ok = true;
    struct dirent *ent;
    co_buf child = CO_BUF_INIT;
    while ((ent = readdir(d))) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        Co_buf_reset(&child);
        Co_buf_printf(&child, "%s/%s", path, ent->d_name);
        if (child.failed || !Co_remove_tree(child.data))
            ok = false;
    }
    closedir(d);
    Co_buf_release(&child);
    return rmdir(path) == 0 && ok;
}

void Co_key_file_name(co_buf *out, const char *key)
{
    co_buf name = CO_BUF_INIT;
    size_t cut = 0; /* the longest prefix within 64 bytes that ends between characters */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '_' ||
                     ((*p == '.' || *p == '-') && p != (const unsigned char *)key);
        if (plain)
            Co_buf_addc(&name, (char)*p);
        else
            Co_buf_printf(&name, "%%%02X", *p);
        if (name.len <= 64)
            cut = name.len;
    }
    if (name.len <= CO_KEY_FILE_NAME_MAX) {
        Co_buf_add(out, name.data ? name.data : "", name.len);
    } else {
        Co_buf_add(out, name.data, cut);
        Co_buf_printf(out, "~%016llx", (unsigned long long)XXH3_64bits(key, strlen(key)));
    }
    Co_buf_release(&name);
}
