/*
 * md5.h: MD5 (RFC 1321), for the row digests that PostgreSQL can compute in
 * SQL too (md5()), so that both engines summarize rows identically
 * (util/rowhash.h, Co_row_digest). Not for anything that needs security.
 */
#ifndef CUTOVER_UTIL_MD5_H
#define CUTOVER_UTIL_MD5_H

#include <stddef.h>
#include <stdint.h>

typedef struct co_md5 {
    uint32_t a, b, c, d;
    uint64_t bytes;
    unsigned char block[64];
} co_md5;

/* Starts a digest. */
void Co_md5_init(co_md5 *m);
/* Adds len bytes. */
void Co_md5_update(co_md5 *m, const void *data, size_t len);
/* Ends the digest: its 16 bytes into out. m must be initialized again before reuse. */
void Co_md5_final(co_md5 *m, unsigned char out[16]);

#endif
