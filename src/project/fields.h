/*
 * fields.h: the project file as tables of typed fields, shared by the files
 * that read it (values.c, fields.c, parse*.c) and by nothing else.
 *
 * Each level of the file (the top, options, an entity, a merge ...) is a
 * section: a table with one row per key giving the key's type, where its value
 * goes (offsetof into the level's struct), whether it is required, its
 * default and its bounds or further check. One generic reader per type serves
 * every row of that type (values.c); one walk checks a mapping's keys against
 * a table and hands each value to its row (fields.c); the same tables apply the
 * defaults and free what was read. A key that is in no table is an error, so a
 * typo is never ignored. Mappings whose pairs become items (refs, follows,
 * approvals ...) are PF_ITEMS, with a reader per pair; values of a shape of
 * their own (the two forms of duplicates, survivorship rules, a compare
 * floor, an orphans rule's tenant_value) are PF_CUSTOM, with their own reader.
 *
 * The files depend one way: parse.c (the document) -> parse_*.c (one section
 * of the file each) -> fields.c (the walk) -> values.c (typed values) ->
 * validate.c, message.c.
 */
#ifndef CUTOVER_PROJECT_FIELDS_H
#define CUTOVER_PROJECT_FIELDS_H

#include "project/project_int.h"

#include <stddef.h>

struct fy_node;
struct fy_mark;

/* One walk over one file: what every reader needs to word a message. */
typedef struct pwalk {
    const char *name; /* the file name in positions */
    const char *text; /* the whole input, for the columns of block scalars */
    size_t len;
    co_error *err;
} pwalk;

typedef struct pfield pfield;
typedef struct psection psection;

/* Reads val (the value of key) into obj, the level's struct. */
typedef co_code (*pset_fn)(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                           void *obj);
/* Frees what a PF_CUSTOM reader stored in obj. */
typedef void (*prelease_fn)(const pfield *f, void *obj);

typedef enum ptype {
    PF_TEXT,    /* char *: a non-blank string; `check` may refuse or trim it */
    PF_INT,     /* int: a whole number from lo to hi */
    PF_SIZE,    /* size_t: the same, worded "an integer" (batch_size) */
    PF_NUMBER,  /* double: a number from lo (above it with `above`) to hi */
    PF_SHARE,   /* double: a fraction (0.5) or a percentage (50%) */
    PF_SECONDS, /* double: a duration above 0: 0.5, 2s or 250ms */
    PF_COLUMNS, /* char ** and size_t at `count`: a column name or a sequence of them */
    PF_EXPRS,   /* char ** and size_t at `count`: a SQL expression or a sequence of them */
    PF_PAIRS,   /* char ** at offset and at `pair`, size_t at `count`: a mapping of source
                   column: entity column */
    PF_MAP,     /* a struct at offset (0: the level's own): a mapping read with `sub` */
    PF_PTR,     /* a struct * at offset, allocated on first use: a mapping read with `sub` */
    PF_SEQ,     /* an array at offset, size_t at `count`: a sequence of mappings read with `sub` */
    PF_ITEMS,   /* an array at offset, size_t at `count`: a mapping, each pair an item of
                   `sub`, read by sub->read */
    PF_CUSTOM,  /* `set` reads the value; `release` frees it, or, with `sub`, the array at
                   offset (`count` items) is freed as PF_ITEMS is */
} ptype;

struct pfield {
    const char *key;
    ptype type;
    bool required;
    size_t offset;         /* where the value goes in the level's struct */
    size_t count;          /* lists, PF_SEQ, PF_ITEMS (and PF_CUSTOM with sub): how many items */
    size_t pair;           /* PF_PAIRS: the second list */
    double lo, hi;         /* PF_INT, PF_SIZE, PF_NUMBER: the accepted range */
    bool above;            /* PF_NUMBER: lo itself is refused */
    const char *expected;  /* PF_TEXT, PF_NUMBER: what the value must be, in messages */
    double def;            /* numbers: the value of a key left out (applied while it is 0) */
    const char *def_text;  /* PF_TEXT: the same for text */
    pset_fn check;         /* PF_TEXT: further rules, run once the text is stored */
    const psection *sub;   /* PF_MAP, PF_PTR, PF_SEQ, PF_ITEMS: the level below */
    pset_fn set;           /* PF_CUSTOM */
    prelease_fn release;   /* PF_CUSTOM; NULL when it stores nothing to free */
};

struct psection {
    const pfield *fields;
    size_t nfields;             /* at most 32 */
    const char *context;        /* "in entity": completes "unknown key ... in entity" */
    const char *shape;          /* PF_MAP, PF_PTR: "\"KEY\" must be a mapping%s" */
    bool bare;                  /* PF_MAP: positions inside fall back to the mapping's own
                                   (no position) rather than to its key's */
    size_t size;                /* PF_PTR, PF_SEQ, PF_ITEMS: bytes of one item */
    bool named;                 /* the char * at `owner` names the item in messages */
    size_t owner;
    size_t mark;                /* where the item's co_mark is (0: it has none) */
    const char *seq_shape;      /* PF_SEQ: "\"KEY\" must be a sequence of %s" */
    const char *item_shape;     /* PF_SEQ: "each item of \"KEY\" must be a mapping %s" */
    int min, max;               /* PF_SEQ: how many items (max 0: any number) */
    const char *too_few;        /* "\"KEY\" must list at least %s" (NULL: the seq_shape
                                   message); PF_ITEMS: the whole message */
    const char *too_many;       /* "\"KEY\" has N items; at most MAX %s" */
    void (*init)(void *item);   /* PF_PTR, PF_SEQ: after the defaults, before the keys */
    /* PF_ITEMS: reads one pair into an item; obj (the level above) is its ctx. */
    co_code (*read)(pwalk *w, struct fy_node *k, struct fy_node *v, co_mark at, void *item,
                    void *ctx);
    const char *what;           /* PF_ITEMS: "\"KEY\" must be a mapping of ...", for a value
                                   that is no mapping; too_few refuses an empty one */
    /* After the keys of one item or mapping (at: where it starts): checks that
     * need several keys, and values made from others. */
    co_code (*finish)(pwalk *w, void *obj, co_mark at);
};

/* ---- rows, in the manner of Redis's createIntConfig (T: the level's struct) ---- */

#define PF_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define P_SECTION(table) .fields = (table), .nfields = PF_COUNT(table)

#define P_TEXT(k, req, T, m)                                                                      \
    {.key = (k), .type = PF_TEXT, .required = (req), .offset = offsetof(T, m)}
/* Text that must also pass fn; what says what it must be ("a SQL query"). */
#define P_CHECKED(k, req, T, m, what, fn)                                                         \
    {.key = (k), .type = PF_TEXT, .required = (req), .offset = offsetof(T, m), .expected = (what), \
     .check = (fn)}
#define P_TEXT_DEF(k, T, m, d)                                                                    \
    {.key = (k), .type = PF_TEXT, .offset = offsetof(T, m), .def_text = (d)}
#define P_URI(k, req, T, m)                                                                       \
    P_CHECKED(k, req, T, m, CO_PROJECT_URI_EXPECTED, Co_project_check_uri)
#define P_INT(k, T, m, lo_, hi_, d)                                                               \
    {.key = (k), .type = PF_INT, .offset = offsetof(T, m), .lo = (lo_), .hi = (hi_), .def = (d)}
#define P_SIZE(k, T, m, lo_, hi_, d)                                                              \
    {.key = (k), .type = PF_SIZE, .offset = offsetof(T, m), .lo = (lo_), .hi = (hi_), .def = (d)}
/* A number from lo_ (above it when above_) to hi_, worded as what. */
#define P_NUMBER(k, T, m, lo_, above_, hi_, what, d)                                              \
    {.key = (k), .type = PF_NUMBER, .offset = offsetof(T, m), .lo = (lo_), .above = (above_),     \
     .hi = (hi_), .expected = (what), .def = (d)}
#define P_FRACTION(k, T, m, d) P_NUMBER(k, T, m, 0, false, 1, "a number from 0 to 1", d)
#define P_SHARE(k, T, m, d) {.key = (k), .type = PF_SHARE, .offset = offsetof(T, m), .def = (d)}
#define P_SECONDS(k, T, m, d) {.key = (k), .type = PF_SECONDS, .offset = offsetof(T, m), .def = (d)}
#define P_LIST(ty, k, req, T, m, n)                                                               \
    {.key = (k), .type = (ty), .required = (req), .offset = offsetof(T, m), .count = offsetof(T, n)}
#define P_COLUMNS(k, req, T, m, n) P_LIST(PF_COLUMNS, k, req, T, m, n)
#define P_EXPRS(k, req, T, m, n) P_LIST(PF_EXPRS, k, req, T, m, n)
#define P_PAIRS(k, req, T, m, m2, n)                                                              \
    {.key = (k), .type = PF_PAIRS, .required = (req), .offset = offsetof(T, m),                   \
     .pair = offsetof(T, m2), .count = offsetof(T, n)}
/* A mapping whose keys are the level's own (options, hooks, verify). */
#define P_SAME(k, s) {.key = (k), .type = PF_MAP, .sub = &(s)}
#define P_MAP(k, T, m, s) {.key = (k), .type = PF_MAP, .offset = offsetof(T, m), .sub = &(s)}
#define P_PTR(k, T, m, s) {.key = (k), .type = PF_PTR, .offset = offsetof(T, m), .sub = &(s)}
#define P_SEQ(k, req, T, m, n, s)                                                                 \
    {.key = (k), .type = PF_SEQ, .required = (req), .offset = offsetof(T, m),                     \
     .count = offsetof(T, n), .sub = &(s)}
#define P_ITEMS(k, T, m, n, s)                                                                    \
    {.key = (k), .type = PF_ITEMS, .offset = offsetof(T, m), .count = offsetof(T, n), .sub = &(s)}
#define P_CUSTOM(k, req, fn, rel)                                                                 \
    {.key = (k), .type = PF_CUSTOM, .required = (req), .set = (fn), .release = (rel)}
/* Sections that only say what an item owns, to free it, may hold rows that are
 * not keys of the file: the item's name, read from its mapping's key (P_OWN),
 * and the rows of the section its value is read with (P_ALSO). */
#define P_OWN(T, m) {.key = #m, .type = PF_TEXT, .offset = offsetof(T, m)}
#define P_ALSO(s) {.key = "", .type = PF_MAP, .sub = &(s)}
/* An item of a sequence or of a mapping: its size and where its mark is. */
#define P_ITEM(T) .size = sizeof(T), .mark = offsetof(T, mark)
/* An item of a mapping's pairs (PF_ITEMS): its size, its reader, and what a
 * value that is no mapping is told ("\"refs\" must be a mapping of ..."). */
#define P_READ(T, fn, w) .size = sizeof(T), .read = (fn), .what = (w)
/* ... named in messages by its member m. */
#define P_NAMED(T, m) .named = true, .owner = offsetof(T, m)

#define CO_PROJECT_URI_EXPECTED                                                                   \
    "a connection URI (sqlite:PATH, postgresql://..., mysql://..., mariadb://..., or host=... "   \
    "dbname=...)"

/* ---- values.c: positions, and one reader per type ---- */

/* A libfyaml mark (0-based) as a co_mark (1-based); line 0 for NULL. */
co_mark Co_project_mark_of(const struct fy_mark *fm);
/* Where node starts; line 0 when libfyaml does not know (an empty value). */
co_mark Co_project_node_mark(struct fy_node *n);
/* Where n starts, or fallback when that is unknown. */
co_mark Co_project_mark_or(struct fy_node *n, co_mark fallback);
/* Where the value of key is: val's position, else key's. */
co_mark Co_project_at(struct fy_node *key, struct fy_node *val);
/* True for a plain empty, "~" or "null" scalar, or no node at all. */
bool Co_project_is_null(struct fy_node *n);
/* True when n is a non-null node of the YAML type (FYNT_MAPPING ...) given. */
bool Co_project_is(struct fy_node *n, int fy_type);
/* "an empty value", "a mapping", "a sequence" or "a string", for messages. */
const char *Co_project_describe(struct fy_node *n);

/* The text of a non-blank scalar into *out (heap); subject names the value in
 * messages ("\"source\"") and expected says what it should be ("a string"). */
co_code Co_project_scalar(pwalk *w, struct fy_node *val, co_mark fallback, const char *subject,
                          const char *expected, char **out);
/* "WHAT \"NAME\"" in out (cap bytes), name made fit for a message: the
 * subject of a value that belongs to a name ("\"refs\" of column \"id\""). */
const char *Co_project_about(char *out, size_t cap, const char *what, const char *name);
/* A whole number from lo to hi into *out, worded "an integer" when integer
 * (batch_size), else "a whole number"; name is the key. */
co_code Co_project_whole(pwalk *w, const char *name, struct fy_node *key, struct fy_node *val,
                         long lo, long hi, bool integer, long *out);
/* A number from lo (above lo when above) to hi, worded as expected. */
co_code Co_project_number(pwalk *w, const char *name, struct fy_node *key, struct fy_node *val,
                          double lo, bool above, double hi, const char *expected, double *out);
/* A column name or a sequence of them, none twice and none with a comma, into
 * *list (heap) and *n; name is the key ("key", "size"). */
co_code Co_project_columns(pwalk *w, const char *name, struct fy_node *key, struct fy_node *val,
                           char ***list, size_t *n);
/* The pairs of the mapping map (at: where it is) into two parallel lists
 * (heap) and *n: say is the subject and the expectation of the keys, then of
 * the values, for messages ("a source column", "a column name", ...). */
co_code Co_project_two_lists(pwalk *w, struct fy_node *map, co_mark at, const char *const say[4],
                             char ***keys, char ***values, size_t *n);
/* Reads val into obj by f's type, for every type but the mappings (fields.c). */
co_code Co_project_set_value(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                             void *obj);
/* Frees list[0..n) and list (NULL is fine). */
void Co_project_free_list(char **list, size_t n);

/* PF_TEXT checks: a connection URI; an entity name; a SQL query, whose final
 * ';' and blanks are dropped (cutover wraps queries in SELECT count(*) FROM). */
co_code Co_project_check_uri(pwalk *w, const pfield *f, struct fy_node *key, struct fy_node *val,
                             void *obj);
co_code Co_project_check_name(pwalk *w, const pfield *f, struct fy_node *key,
                              struct fy_node *val, void *obj);
co_code Co_project_check_query(pwalk *w, const pfield *f, struct fy_node *key,
                               struct fy_node *val, void *obj);

/* ---- fields.c: the walk over a section ---- */

/* Walks the pairs of map (which starts at map_at) into obj: each key must be
 * a row of s, each required row must be present. */
co_code Co_project_walk_fields(pwalk *w, struct fy_node *map, co_mark map_at, const psection *s,
                               void *obj);
/* Sets every row of s (and of the mappings embedded in it) still 0 or NULL to
 * its default. */
co_code Co_project_defaults(pwalk *w, const psection *s, void *obj);
/* Reads the pairs of the mapping val (at: where it is) into the array at
 * *items (*n items of s already there), grown by one zeroed item per pair,
 * each read by s->read with ctx. A value that is no mapping is refused as
 * "WHAT, not ..." (s->what); an empty mapping reads nothing, or is refused
 * with s->too_few. */
co_code Co_project_pairs(pwalk *w, struct fy_node *val, co_mark at, const psection *s,
                         void *items, size_t *n, void *ctx);
/* Frees everything the rows of s stored in obj, not obj itself. */
void Co_project_release(const psection *s, void *obj);

/* ---- the sections of the file, one file each ---- */

extern const psection co_project_options;    /* parse_options.c */
extern const psection co_project_hooks;
extern const psection co_project_captures;
extern const psection co_project_orphans;
extern const psection co_project_entities;   /* parse_entities.c */
extern const psection co_project_merge;      /* parse_merge.c */
extern const psection co_project_monitor;    /* parse_aftercare.c */
extern const psection co_project_budgets;
extern const psection co_project_approvals;
extern const psection co_project_events;     /* parse_events.c */
extern const psection co_project_parity;     /* parse_parity.c */

#endif
