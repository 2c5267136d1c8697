/*
 * parse.c: the walk over cutover.yaml with libfyaml's document API: the
 * top-level keys, the YAML document itself (one, whose top is a mapping), the
 * defaults and the checks across sections. libfyaml's diagnostics are
 * collected into the co_error, never printed.
 *
 * Each section of the file is a table of typed fields (fields.h) in a file of
 * its own: parse_options.c, parse_entities.c (and parse_merge.c),
 * parse_aftercare.c, parse_events.c, parse_parity.c.
 */
#include "project/fields.h"
#include "util/buf.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

static const pfield top_fields[] = {
    P_URI("source", true, co_project, source),
    P_URI("target", true, co_project, target),
    P_URI("staging", false, co_project, staging),
    {.key = "state", .type = PF_TEXT, .offset = offsetof(co_project, state),
     .expected = CO_PROJECT_URI_EXPECTED, .check = Co_project_check_uri,
     .def_text = CO_PROJECT_STATE_DEFAULT},
    P_TEXT("tenants", true, co_project, tenants_query),
    P_SAME("options", co_project_options),
    P_SEQ("entities", true, co_project, entities, nentities, co_project_entities),
    P_SEQ("capture", false, co_project, capture, ncapture, co_project_captures),
    P_SAME("hooks", co_project_hooks),
    P_MAP("monitor", co_project, monitor, co_project_monitor),
    P_SEQ("budgets", false, co_project, budgets, nbudgets, co_project_budgets),
    P_ITEMS("approvals", co_project, approvals, napprovals, co_project_approvals),
    P_SAME("events", co_project_events),
    P_SEQ("orphans", false, co_project, orphans, norphans, co_project_orphans),
    P_MAP("parity", co_project, parity, co_project_parity),
};

static const psection top_section = {P_SECTION(top_fields), .context = "at the top level"};

void Co_project_release_fields(co_project *p)
{
    Co_project_release(&top_section, p);
}

/* ---- the document ---- */

static void keep_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    co_buf *b = user;
    if (b->len == 0)
        Co_buf_add(b, buf, len);
}

/* Turns libfyaml's first collected error (or what it wrote) into err. */
static co_code yaml_fail(pwalk *w, struct fy_diag *diag, const co_buf *output)
{
    void *it = NULL;
    struct fy_diag_error *e;
    while ((e = fy_diag_errors_iterate(diag, &it))) {
        if (e->type < FYET_ERROR)
            continue;
        co_mark at = {e->line > 0 ? e->line : 0, e->column > 0 ? e->column : 0};
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at, "invalid YAML: %s",
                               e->msg && *e->msg ? e->msg : "syntax error");
    }
    co_mark none = {0, 0};
    if (output->len) {
        char buf[80];
        return Co_project_fail(w->err, CO_EPROJECT, w->name, none, "invalid YAML: %s",
                               Co_project_shown(output->data, output->len, buf, sizeof buf));
    }
    return Co_project_fail(w->err, CO_EPROJECT, w->name, none, "invalid YAML");
}

static co_code walk_document(pwalk *w, struct fy_document *doc, co_project *p)
{
    co_mark start = {1, 1};
    struct fy_node *root = fy_document_root(doc);
    if (Co_project_is_null(root))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_mark_or(root, start),
                               "the project file is empty (expected a mapping with source, "
                               "target, tenants and entities)");
    if (fy_node_get_type(root) != FYNT_MAPPING)
        return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_mark_or(root, start),
                               "the project file must be a mapping with source, target, tenants "
                               "and entities, not %s",
                               Co_project_describe(root));
    co_code code =
        Co_project_walk_fields(w, root, Co_project_mark_or(root, start), &top_section, p);
    if (code == CO_OK)
        code = Co_project_defaults(w, &top_section, p);
    if (code == CO_OK)
        code = Co_project_aftercare_check(p, w->name, w->err);
    if (code == CO_OK)
        code = Co_project_check(p, w->name, w->err);
    return code;
}

co_code Co_project_walk(co_project *p, const char *text, size_t len, const char *name,
                        co_error *err)
{
    pwalk w = {.name = name, .text = text, .len = len, .err = err};
    co_buf output = CO_BUF_INIT;
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = keep_output;
    dcfg.user = &output;
    dcfg.level = FYET_ERROR;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    fy_diag_set_collect_errors(diag, true);

    struct fy_parse_cfg pcfg = {
        .flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT | FYPCF_DEFAULT_VERSION_1_2,
        .diag = diag,
    };
    struct fy_parser *parser = fy_parser_create(&pcfg);
    struct fy_document *doc = NULL;
    co_code code = CO_OK;
    if (!parser || fy_parser_set_string(parser, text, len) != 0) {
        code = co_error_set(err, CO_ENOMEM, "out of memory");
        goto done;
    }

    doc = fy_parse_load_document(parser);
    if (!doc) {
        if (fy_parser_get_stream_error(parser) || fy_diag_got_error(diag) || output.len) {
            code = yaml_fail(&w, diag, &output);
        } else {
            co_mark start = {1, 1};
            code = Co_project_fail(err, CO_EPROJECT, name, start,
                                   "the project file is empty (expected a mapping with source, "
                                   "target, tenants and entities)");
        }
        goto done;
    }
    /* A second document would be ignored by the walk: refuse it. */
    struct fy_document *more = fy_parse_load_document(parser);
    if (more) {
        co_mark at = Co_project_mark_of(
            fy_document_state_start_mark(fy_document_get_document_state(more)));
        fy_parse_document_destroy(parser, more);
        code = Co_project_fail(err, CO_EPROJECT, name, at,
                               "the project file must hold one YAML document, but a second one "
                               "starts here");
        goto done;
    }
    if (fy_parser_get_stream_error(parser) || fy_diag_got_error(diag)) {
        code = yaml_fail(&w, diag, &output);
        goto done;
    }
    code = walk_document(&w, doc, p);

done:
    if (doc)
        fy_parse_document_destroy(parser, doc);
    if (parser)
        fy_parser_destroy(parser);
    fy_diag_destroy(diag);
    Co_buf_release(&output);
    return code;
}
