/* fs.h: the few file-system chores cutover needs: making and removing directories. */
#ifndef CUTOVER_UTIL_FS_H
#define CUTOVER_UTIL_FS_H

#include <stdbool.h>

/* Creates dir and its missing parents (mkdir -p). False with errno set on failure. */
bool co_mkdir_p(const char *dir);

/* Creates the missing directories leading to the file path. */
bool co_mkdir_parent(const char *path);

/* Removes path and, when it is a directory, everything below it (rm -rf).
 * Symbolic links are removed, not followed. False when something remains. */
bool co_remove_tree(const char *path);

#endif
