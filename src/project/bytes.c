/*
 * bytes.c: the project file's bytes checked before YAML sees them.
 *
 * libfyaml is not hardened against every byte sequence (a '%' followed by a
 * lone lead byte makes 0.7.12 loop forever), and a project file has no reason
 * to hold anything but text: so the file must be valid UTF-8 with no control
 * character other than tab, CR and LF, no DEL, no C1 control and neither
 * U+FFFE nor U+FFFF (YAML's printable set). The first offending byte is named
 * with its line and column (in characters, 1-based, as the parser's are).
 */
#include "project/project_int.h"

#include <utf8proc.h>

/* What is wrong with code point cp, or NULL when YAML may hold it. */
static const char *refused(utf8proc_int32_t cp)
{
    if (cp == 0)
        return "a NUL byte";
    if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')
        return "a control character";
    if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
        return "a control character";
    if (cp == 0xfffe || cp == 0xffff)
        return "a non-character";
    return NULL;
}

co_code Co_project_check_bytes(const char *text, size_t len, const char *name, co_error *err)
{
    const unsigned char *p = (const unsigned char *)text;
    co_mark at = {1, 1};
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t cp = p[i];
        utf8proc_ssize_t n = 1;
        if (p[i] >= 0x80) {
            n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
            if (n <= 0)
                return Co_project_fail(err, CO_EPROJECT, name, at,
                                       "the project file is not valid UTF-8 (byte 0x%02x at "
                                       "offset %zu): save it as UTF-8 text",
                                       p[i], i);
        }
        const char *why = refused(cp);
        if (why)
            return Co_project_fail(err, CO_EPROJECT, name, at,
                                   "the project file holds %s (U+%04X at offset %zu): only text, "
                                   "tabs and line breaks may appear in it",
                                   why, (unsigned)cp, i);
        if (cp == '\n' || (cp == '\r' && (i + 1 >= len || p[i + 1] != '\n'))) {
            at.line++;
            at.column = 1;
        } else if (cp != '\r') {
            at.column++;
        }
        i += (size_t)n;
    }
    return CO_OK;
}
