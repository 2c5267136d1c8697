/*
 * jsonread.h: reading small JSON documents (the audit's detail column, the
 * dashboard's request bodies) with libfyaml in JSON mode, without a word on
 * standard error.
 */
#ifndef CUTOVER_UTIL_JSONREAD_H
#define CUTOVER_UTIL_JSONREAD_H

#include <libfyaml.h>
#include <stdbool.h>
#include <stddef.h>

/* The document, or NULL when text is not valid JSON (or out of memory).
 * Free it with fy_document_destroy. */
struct fy_document *Co_json_read(const char *text, size_t len);

/* The scalar at path below node ("/limits/0/rule"), NUL-terminated, or NULL
 * when absent or not a scalar. Valid while the document lives. */
const char *Co_json_scalar(struct fy_node *node, const char *path);

/* The scalars of fields a and b of the i-th object of the array at the root
 * of doc ([{"value": "x", "count": 3}, ...]) into *va and *vb; false when
 * either is absent. */
bool Co_json_pair_at(struct fy_document *doc, int i, const char *a, const char *b,
                     const char **va, const char **vb);

#endif
