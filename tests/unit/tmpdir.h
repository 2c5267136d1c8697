/*
 * tmpdir.h: a fresh directory for a unit test, under $TMPDIR when it is set
 * (else /tmp), so that tests run where the machine keeps its scratch files.
 */
#ifndef CUTOVER_TEST_TMPDIR_H
#define CUTOVER_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

/* Makes a directory named NAME.XXXXXX under $TMPDIR (under /tmp when
 * TMPDIR is unset, or too long for the tests' small path buffers: the path
 * must leave room for the file names the tests add) and writes its path into
 * dir (cap bytes). Returns dir, or NULL when mkdtemp fails. */
static inline char *test_mkdtemp(char *dir, size_t cap, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(dir, cap, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
    if (n < 0 || (size_t)n + 24 >= cap)
        snprintf(dir, cap, "/tmp/%s.XXXXXX", name);
    return mkdtemp(dir);
}

#endif
