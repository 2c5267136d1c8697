/*
 * replay.c: a plain main for the fuzz harnesses, so that `make check` runs
 * each one over its saved corpus with the normal compiler (no clang, no
 * libFuzzer): every file named, or found in a directory named, goes through
 * LLVMFuzzerTestOneInput once. A crash or a sanitizer report fails the test;
 * an input that takes longer than CUTOVER_FUZZ_TIMEOUT seconds (default 10)
 * is reported as a hang.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *current = "";

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "replay: hang (timeout) on ";
    (void)!write(2, msg, sizeof msg - 1);
    (void)!write(2, current, strlen(current));
    (void)!write(2, "\n", 1);
    _exit(70);
}

static int run_file(const char *path, unsigned timeout)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *data = malloc(cap);
    size_t n;
    while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *grown = realloc(data, cap * 2);
            if (!grown) {
                free(data);
                data = NULL;
                break;
            }
            data = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (!data) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return 1;
    }
    /* An exact-size copy, so that a read past the end is seen by ASan. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(data);
        return 1;
    }
    memcpy(exact, data, len);
    free(data);
    current = path;
    alarm(timeout);
    LLVMFuzzerTestOneInput(exact, len);
    alarm(0);
    free(exact);
    return 0;
}

static int run_path(const char *path, unsigned timeout, int *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path, timeout);
    }
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: cannot list %s: %s\n", path, strerror(errno));
        return 1;
    }
    int failed = 0;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            size_t size = strlen(path) + strlen(names[i]->d_name) + 2;
            char *child = malloc(size);
            if (!child) {
                failed = 1;
            } else {
                snprintf(child, size, "%s/%s", path, names[i]->d_name);
                failed |= run_path(child, timeout, count);
                free(child);
            }
        }
        free(names[i]);
    }
    free(names);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    const char *t = getenv("CUTOVER_FUZZ_TIMEOUT");
    unsigned timeout = t && *t ? (unsigned)strtoul(t, NULL, 10) : 10;
    signal(SIGALRM, on_alarm);
    int failed = 0, count = 0;
    for (int i = 1; i < argc; i++)
        failed |= run_path(argv[i], timeout, &count);
    printf("replay: %d inputs, %s\n", count, failed ? "some unreadable" : "no crash, no hang");
    return failed;
}
