/*
 * hooks.c: running the project's hook commands at the phases of a cutover
 * (cutover.h). A hook is a command for /bin/sh, run in the project file's
 * directory, with the tenant, phase and run in its environment.
 */
#include "cutover/cutover_seq.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

co_code co_run_hook(const co_project *p, co_hook_phase phase, const char *tenant, int64_t run_id,
                    co_error *err)
{
    return co_run_hook_input(p, phase, tenant, run_id, NULL, NULL, err);
}

co_code co_run_hook_input(const co_project *p, co_hook_phase phase, const char *tenant,
                          int64_t run_id, const char *const *env, const char *input,
                          co_error *err)
{
    const char *command = p->hooks[phase];
    if (!command)
        return CO_OK;
    char run[32];
    snprintf(run, sizeof run, "%lld", (long long)run_id);
    int fds[2] = {-1, -1};
    if (input && pipe(fds) != 0)
        return co_error_set(err, CO_ENOTREADY, "hook %s: cannot make a pipe: %s",
                            co_hook_name(phase), strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        if (input) {
            close(fds[0]);
            close(fds[1]);
        }
        return co_error_set(err, CO_ENOTREADY, "hook %s: cannot start: %s", co_hook_name(phase),
                            strerror(errno));
    }
    if (pid == 0) {
        if (input) {
            close(fds[1]);
            if (dup2(fds[0], STDIN_FILENO) < 0)
                _exit(126);
            close(fds[0]);
        }
        if (p->dir && chdir(p->dir) != 0)
            _exit(126);
        setenv("CUTOVER_TENANT", tenant, 1);
        setenv("CUTOVER_PHASE", co_hook_name(phase), 1);
        setenv("CUTOVER_RUN_ID", run, 1);
        for (size_t i = 0; env && env[i] && env[i + 1]; i += 2)
            setenv(env[i], env[i + 1], 1);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    if (input) {
        /* A hook that does not read its input may exit first: no SIGPIPE. */
        struct sigaction ignore = {0}, before;
        ignore.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &ignore, &before);
        close(fds[0]);
        size_t len = strlen(input), done = 0;
        while (done < len) {
            ssize_t k = write(fds[1], input + done, len - done);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            done += (size_t)k;
        }
        close(fds[1]);
        sigaction(SIGPIPE, &before, NULL);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return co_error_set(err, CO_ENOTREADY, "hook %s: lost: %s", co_hook_name(phase),
                                strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return CO_OK;
    if (WIFEXITED(status))
        return co_error_set(err, CO_ENOTREADY, "hook %s (%s) exited with status %d for tenant %s",
                            co_hook_name(phase), command, WEXITSTATUS(status), tenant);
    return co_error_set(err, CO_ENOTREADY, "hook %s (%s) was killed by signal %d for tenant %s",
                        co_hook_name(phase), command, WTERMSIG(status), tenant);
}
