/*
 * fuzz_json.c: the JSON reader (util/jsonread.h) that the audit's findings,
 * the report and the dashboard's request bodies go through, and the paths
 * they look up in what it returns.
 */
#include "fuzz.h"
#include "util/jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fy_document *doc = Co_json_read((const char *)data, size);
    if (!doc)
        return 0;
    struct fy_node *root = fy_document_root(doc);
    static const char *const paths[] = {"/confirm", "/0", "/0/rowid", "/0/value", "/limits/0/rule",
                                        "/custom1", "/a/b/c", "/", ""};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        (void)Co_json_scalar(root, paths[i]);
    if (fy_node_is_sequence(root)) {
        void *it = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(root, &it)))
            (void)Co_json_scalar(item, "/value");
    }
    fy_document_destroy(doc);
    return 0;
}
