/*
 * fuzz_project.c: the project file's parser (co_project_parse: the byte
 * check, libfyaml, the walk and the validation) on arbitrary bytes.
 */
#include "fuzz.h"
#include "cutover/project.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    co_project *p = NULL;
    co_error err;
    co_error_clear(&err);
    if (co_project_parse((const char *)data, size, "fuzz.yaml", ".", &p, &err) == CO_OK)
        co_project_free(p);
    return 0;
}
