/* fs.h: the few file-system chores cutover needs: making and removing directories. */
#ifndef CUTOVER_UTIL_FS_H
#define CUTOVER_UTIL_FS_H

#include <stdbool.h>

/* Creates dir and its missing parents (mkdir -p). False with errno set on failure. */
bool Co_mkdir_p(const char *dir);

/* Creates the missing directories leading to the file path. */
bool Co_mkdir_parent(const char *path);

/* Removes path and, when it is a directory, everything below it (rm -rf).
 * Symbolic links are removed, not followed. False when something remains. */
bool Co_remove_tree(const char *path);

/* Appends to out a file name made from a tenant key: the key itself when it
 * is made of [A-Za-z0-9_.-] (no leading '.' or '-'), else each other byte as
 * %XX; a name longer than CO_KEY_FILE_NAME_MAX bytes keeps its first 64
 * and ends in "~" and 16 hex digits of the key's XXH3 hash, so that long
 * keys stay distinct and every name fits a file system's 255 bytes with
 * room for a suffix. */
struct co_buf;
#define CO_KEY_FILE_NAME_MAX 96
void Co_key_file_name(struct co_buf *out, const char *key);

#endif
