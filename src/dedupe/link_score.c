/* link_score.c: the score of one pair of records (link.h): field
 * similarities, rescaled above each field's floor, averaged by weight over the
 * fields filled on both sides. */
#include "dedupe/link_int.h"
#include "dedupe/similarity.h"

#include <math.h>
#include <string.h>

static double similarity(const co_link *l, const co_link_rule *r, const co_link_value *va,
                         const co_link_value *vb)
{
    const int32_t *a = l->cps + va->off, *b = l->cps + vb->off;
    if (va->hash == vb->hash && va->n == vb->n && memcmp(a, b, va->n * sizeof *a) == 0)
        return 1.0;
    switch (r->compare) {
    case CO_CMP_EXACT:
        return 0.0;
    case CO_CMP_JARO_WINKLER:
        return Co_sim_jaro_winkler_cp(a, va->n, b, vb->n);
    case CO_CMP_LEVENSHTEIN:
        return Co_sim_levenshtein_ratio_cp(a, va->n, b, vb->n);
    case CO_CMP_TOKENS:
        return Co_sim_tokens_cp(a, va->n, b, vb->n);
    case CO_CMP_NUMBER:
        if (!isnan(va->num) && !isnan(vb->num))
            return Co_sim_number(va->num, vb->num, r->scale);
        break;
    case CO_CMP_DATE:
        if (!isnan(va->num) && !isnan(vb->num))
            return Co_sim_date((int32_t)va->num, (int32_t)vb->num, r->scale);
        break;
    case CO_CMP_DAMERAU:
    case CO_CMP_KIND_COUNT:
        break;
    }
    return Co_sim_damerau_ratio_cp(a, va->n, b, vb->n);
}

bool Co_link_compare(const co_link *l, size_t a, size_t b, double cutoff, co_link_pair *out,
                     double *sims)
{
    const co_link_value *ra = l->vals + a * l->nfields, *rb = l->vals + b * l->nfields;
    out->a = a < b ? a : b;
    out->b = a < b ? b : a;
    out->score = 0;
    out->agree = out->present = 0;
    double total = 0; /* weight of the fields filled on both sides */
    for (size_t i = 0; i < l->nfields; i++) {
        if (ra[i].n && rb[i].n) {
            out->present |= (uint32_t)1 << i;
            total += l->rules[i].weight;
        }
        if (sims)
            sims[i] = -1;
    }
    if (total <= 0)
        return cutoff <= 0;
    double earned = 0, left = total;
    for (size_t k = 0; k < l->nfields; k++) {
        size_t i = l->order[k];
        if (!(out->present >> i & 1))
            continue;
        const co_link_rule *r = &l->rules[i];
        double s = similarity(l, r, &ra[i], &rb[i]);
        if (sims)
            sims[i] = s;
        if (s >= r->agree_at)
            out->agree |= (uint32_t)1 << i;
        double credit = r->floor < 0 ? s : s <= r->floor ? 0 : (s - r->floor) / (1 - r->floor);
        earned += r->weight * credit;
        left -= r->weight;
        /* the best the pair can still do is full credit on every field left */
        if (cutoff > 0 && (earned + left) / total < cutoff - 1e-12) {
            out->score = earned / total;
            return false;
        }
    }
    out->score = earned / total;
    if (out->score > 1)
        out->score = 1;
    return true;
}
