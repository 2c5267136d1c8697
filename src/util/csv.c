/*
 * csv.c: RFC 4180 cells out and records in (csv.h). The reader takes a byte
 * at a time from stdio's buffer, so a quoted cell may span lines.
 */
#include "util/csv.h"
#include "util/grow.h"

#include <stdlib.h>
#include <string.h>

void Co_csv_cell(co_buf *out, const char *s, size_t len)
{
    bool quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        Co_buf_add(out, s, len);
        return;
    }
    Co_buf_quote(out, s, len, '"');
}

void Co_csv_init(co_csv_reader *r, FILE *in, const char *name)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->name = name;
    r->next_line = 1;
}

void Co_csv_release(co_csv_reader *r)
{
    Co_buf_release(&r->text);
    free(r->at);
    memset(r, 0, sizeof *r);
}

const char *Co_csv_cell_at(const co_csv_reader *r, size_t i) { return r->text.data + r->at[i]; }

static bool start_cell(co_csv_reader *r)
{
    if (!CO_GROW(r->at, r->cap, r->n + 1, 16))
        return false;
    r->at[r->n++] = r->text.len;
    return true;
}

co_code Co_csv_next(co_csv_reader *r, bool *more, co_error *err)
{
    for (;;) {
        Co_buf_reset(&r->text);
        r->n = 0;
        r->line = r->next_line;
        int c = getc(r->in);
        if (c == EOF) {
            *more = false;
            return ferror(r->in) ? co_error_set(err, CO_EIO, "%s: cannot read", r->name) : CO_OK;
        }
        if (c == '\n' || c == '\r') { /* a blank line */
            if (c == '\r' && (c = getc(r->in)) != '\n' && c != EOF)
                ungetc(c, r->in);
            r->next_line++;
            continue;
        }
        bool quoted = false, after_quote = false;
        if (!start_cell(r))
            return co_error_set(err, CO_ENOMEM, "out of memory");
        for (;; c = getc(r->in)) {
            if (quoted) {
                if (c == EOF)
                    return co_error_set(err, CO_EUSAGE,
                                        "%s:%ld: a quoted cell is never closed", r->name,
                                        r->line);
                if (c == '"') {
                    int d = getc(r->in);
                    if (d == '"') {
                        Co_buf_addc(&r->text, '"');
                        continue;
                    }
                    ungetc(d, r->in);
                    quoted = false;
                    after_quote = true;
                    continue;
                }
                if (c == '\n')
                    r->next_line++;
                Co_buf_addc(&r->text, (char)c);
                continue;
            }
            if (c == EOF || c == '\n' || c == '\r') {
                if (c == '\r' && (c = getc(r->in)) != '\n' && c != EOF)
                    ungetc(c, r->in);
                r->next_line++;
                Co_buf_addc(&r->text, '\0');
                *more = true;
                return r->text.failed ? co_error_set(err, CO_ENOMEM, "out of memory") : CO_OK;
            }
            if (c == ',') {
                Co_buf_addc(&r->text, '\0');
                if (!start_cell(r))
                    return co_error_set(err, CO_ENOMEM, "out of memory");
                after_quote = false;
                continue;
            }
            if (after_quote)
                return co_error_set(err, CO_EUSAGE,
                                    "%s:%ld: text after a closing quote in cell %zu", r->name,
                                    r->next_line, r->n);
            if (c == '"' && r->text.len == r->at[r->n - 1]) {
                quoted = true;
                continue;
            }
            Co_buf_addc(&r->text, (char)c);
        }
    }
}
