/*
 * normalize.h: normal forms of text for matching records that are the same
 * thing written differently (cnn.com and CNN.com; Straße and STRASSE). They
 * are for comparing, never for storing: the rows keep their own spelling.
 *
 * These C functions are the definition. The audit calls them, SQLite sources
 * get them as the SQL functions casefold, email_norm, domain_norm and
 * name_norm (store/sqlite.c), and PostgreSQL sources get PL/pgSQL functions
 * generated from the same Unicode data (normalize_pg.c, installed by
 * store/pg_norm.c). docs/project-file.md, "Normalizers", is the user's page.
 *
 * Each appends to out and returns false, appending nothing, when the input
 * has no usable form; invalid UTF-8 never has one. White space below means
 * space, tab, newline and carriage return, after folding (so a no-break or
 * ideographic space counts, NFKC having made it a space).
 */
#ifndef CUTOVER_DEDUPE_NORMALIZE_H
#define CUTOVER_DEDUPE_NORMALIZE_H

#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* s (len bytes of UTF-8) case-folded (Unicode full case folding: ß -> ss),
 * in NFKC (full-width and compatibility forms to their plain letters),
 * without default-ignorable code points (soft hyphen, zero-width space), and
 * trimmed of white space. False only when s is not valid UTF-8. */
bool Co_norm_casefold(const char *s, size_t len, co_buf *out);

/* The domain named by s: from a URL ("https://www.CNN.com:443/x"), an e-mail
 * address ("jane@CNN.com") or a bare domain, after Co_norm_casefold: without
 * scheme, user, port, path, leading "www." (when a dot follows it) and
 * leading or trailing dots; "。" separates labels as "." does; a Punycode
 * label ("xn--mnchen-3ya") is decoded and folded, so an internationalized
 * name has one form, its Unicode one ("münchen.de"). False when no name with
 * a dot and no empty label is found (localhost, "a..b", an IPv6 literal). */
bool Co_norm_domain(const char *s, size_t len, co_buf *out);

/* An e-mail address for matching, after Co_norm_casefold: split at its last
 * '@', the local part trimmed, the domain through Co_norm_domain's rules.
 * For gmail.com and googlemail.com (one mailbox provider, whose addresses
 * ignore dots and "+tags") the local part loses its dots and everything from
 * its first '+', and the domain becomes gmail.com; every other domain keeps
 * both. False when there is no '@', the local part is empty (also after
 * those rules) or the domain has no usable form. */
bool Co_norm_email(const char *s, size_t len, co_buf *out);

/* A person's or company's name for matching: NFKD, combining marks and
 * default-ignorable code points removed, case-folded, every punctuation,
 * separator and control character a space, runs of spaces made one, trimmed,
 * then NFC ("  Müller-Lüdenscheidt, Jr." -> "muller ludenscheidt jr").
 * Symbols ($, +, <) stay; & is punctuation. False only when s is not valid UTF-8. */
bool Co_norm_name(const char *s, size_t len, co_buf *out);

/* True for a code point name_norm makes a space: punctuation, separators,
 * controls. */
bool Co_norm_name_space(int32_t cp);

#endif
