/*
 * uri.h: connection URIs as they may be shown: with any password masked.
 */
#ifndef CUTOVER_UTIL_URI_H
#define CUTOVER_UTIL_URI_H

#include "util/buf.h"

#include <stdbool.h>

/* Appends uri to out with the password of "scheme://user:password@host" and
 * of a "password=" query parameter replaced by "***". Other text is kept. */
void Co_uri_mask(const char *uri, co_buf *out);

/* Appends the scheme of uri (the text before the first ':', at most 20
 * characters) or "(none)": what an error may say of a URI it refuses. */
void Co_uri_scheme(const char *uri, co_buf *out);

/* True when s is a libpq connection string of keyword=value pairs
 * ("host=db dbname=crm user=cutover"), as PQconninfoParse accepts it. */
bool Co_uri_is_conninfo(const char *s);

/* True when s looks like a file path given without a scheme ("legacy.db",
 * "./data/x.sqlite"): no ':' before its first '/', no '=', no '@'. Used to
 * suggest "sqlite:PATH". */
bool Co_uri_is_bare_path(const char *s);

/* Replaces every occurrence of secret in text (NUL-terminated, edited in
 * place) with "***". A secret shorter than 3 bytes is left alone: it would
 * mask ordinary words. For error messages that may quote a password. */
void Co_secret_mask(char *text, const char *secret);

#endif
