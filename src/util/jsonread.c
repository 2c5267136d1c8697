/* jsonread.c: JSON documents through libfyaml, quietly (jsonread.h). */
#include "util/jsonread.h"

#include <stdio.h>
#include <string.h>

static void discard_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

struct fy_document *Co_json_read(const char *text, size_t len)
{
    if (!text)
        return NULL;
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = discard_output;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag)
        return NULL;
    struct fy_parse_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = FYPCF_QUIET | FYPCF_JSON_FORCE;
    cfg.diag = diag;
    struct fy_document *doc = fy_document_build_from_string(&cfg, text, len);
    fy_diag_unref(diag);
    if (doc && !fy_document_root(doc)) {
        fy_document_destroy(doc);
        doc = NULL;
    }
    return doc;
}

const char *Co_json_scalar(struct fy_node *node, const char *path)
{
    struct fy_node *n = node ? fy_node_by_path(node, path, FY_NT, FYNWF_DONT_FOLLOW) : NULL;
    if (!n || !fy_node_is_scalar(n))
        return NULL;
    return fy_node_get_scalar0(n);
}

bool Co_json_pair_at(struct fy_document *doc, int i, const char *a, const char *b,
                     const char **va, const char **vb)
{
    char path[96];
    snprintf(path, sizeof path, "/%d/%s", i, a);
    *va = Co_json_scalar(fy_document_root(doc), path);
    snprintf(path, sizeof path, "/%d/%s", i, b);
    *vb = Co_json_scalar(fy_document_root(doc), path);
    return *va && *vb;
}
