/*
 * hooks.c: running the project's hook commands at the phases of a cutover
 * (cutover.h). A hook is a command for /bin/sh, run in the project file's
 * directory, with the tenant, phase and run in its environment.
 */
#include "cutover/cutover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

co_code co_run_hook(const co_project *p, co_hook_phase phase, const char *tenant, int64_t run_id,
                    co_error *err)
{
    const char *command = p->hooks[phase];
    if (!command)
        return CO_OK;
    char run[32];
    snprintf(run, sizeof run, "%lld", (long long)run_id);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return co_error_set(err, CO_ENOTREADY, "hook %s: cannot start: %s", co_hook_name(phase),
                            strerror(errno));
    if (pid == 0) {
        if (p->dir && chdir(p->dir) != 0)
            _exit(126);
        setenv("CUTOVER_TENANT", tenant, 1);
        setenv("CUTOVER_PHASE", co_hook_name(phase), 1);
        setenv("CUTOVER_RUN_ID", run, 1);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
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
