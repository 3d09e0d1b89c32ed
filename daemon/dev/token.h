/* SPDX-License-Identifier: MIT */
/*
 * token - single-use claim tickets for objects (DESIGN.md §4).
 *
 * A token is a 64-bit value from getrandom(2) that stands for one object:
 * a dma_buf to bind a fresh fd to (TOKEN_DMA_BUF), a sync_file
 * (TOKEN_SYNC_FILE), a dma_buf to hand out as a CPU mapping on the
 * control socket (TOKEN_MAP), or a dmaengine fd's status page to hand
 * out the same way (TOKEN_DMA_STATUS, status_page.h). It also records
 * the most access it grants (an O_ACCMODE value) and the uid of the
 * caller it was issued to.
 *
 * Life cycle: token_new() takes its own reference to the object, files the
 * token under its value and under its issuer (a struct token_owner
 * embedded in the issuing open file), and arms a TTL timer on the model's
 * timer queue. The token goes away, with its reference, exactly once: when
 * it is redeemed (token_take(): the reference passes to the caller), when
 * its TTL passes, or when its issuer calls token_owner_clear() (the fd
 * that issued it was closed). A lookup never consumes a token of the
 * wrong type.
 *
 * Threading: loop thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <linux/types.h>

#include "model/acct.h"
#include "model/clock.h"

enum token_type {
	TOKEN_DMA_BUF = 1, /* object: struct dma_buf */
	TOKEN_SYNC_FILE,   /* object: struct sync_file */
	TOKEN_MAP,	   /* object: struct dma_buf, to be mapped */
	TOKEN_DMA_STATUS,  /* object: struct status_page, to be mapped */
};

/* The most tokens alive at once, daemon-wide and per issuer. */
#define TOKEN_MAX_TOTAL 65536u
#define TOKEN_MAX_PER_OWNER 4096u

struct token;

/* Embedded in whatever issues tokens (an open file). Its tokens are
 * charged to @acct (ACCT_TOKENS; NULL: to no one), which the embedder
 * keeps alive while it has tokens. */
struct token_owner {
	LIST_HEAD(, token) tokens;
	unsigned count;
	struct acct *acct;
};

void token_owner_init(struct token_owner *owner);

/* Drop every token @owner issued (and their references). */
void token_owner_clear(struct token_owner *owner);

/* Set the TTL of tokens created from now on (0: the default,
 * DMABUFD_TOKEN_TTL_MS). */
void token_set_ttl_ns(uint64_t ttl_ns);

/*
 * Issue a token for @obj (a struct dma_buf for TOKEN_DMA_BUF and
 * TOKEN_MAP, a struct sync_file for TOKEN_SYNC_FILE, a struct status_page
 * for TOKEN_DMA_STATUS), granting at most
 * @mode (O_RDONLY, O_WRONLY or O_RDWR; O_ACCMODE, no access, for the
 * dma-buf types only), issued to @uid. Takes its own
 * reference to @obj. Returns 0 and *ret_value, -EINVAL for a bad
 * argument, -ENOMEM when out of memory or past TOKEN_MAX_TOTAL /
 * TOKEN_MAX_PER_OWNER, -EDQUOT past the owner's account's limit of
 * tokens, or -errno from getrandom.
 */
int token_new(struct token_owner *owner, enum token_type type, void *obj,
	      int mode, uid_t uid, __u64 *ret_value);

/*
 * Redeem the token @value of type @type for an fd opened with @want_mode
 * (an O_ACCMODE value; -1 skips the check). On success the token is gone
 * and its reference is the caller's: *ret_obj is the object, *ret_mode
 * and *ret_uid (each may be NULL) what the token granted and to whom.
 * Returns 0; -EINVAL if no live token has that value or it is of another
 * type (the token then stays); -EACCES if @want_mode asks for more than
 * the token grants (the token then stays).
 */
int token_take(uint64_t value, enum token_type type, int want_mode,
	       void **ret_obj, int *ret_mode, uid_t *ret_uid);

/* True if @granted (O_ACCMODE value) allows an fd opened @want; an fd
 * opened O_ACCMODE (neither read nor write) is allowed by any grant. */
bool token_mode_allows(int granted, int want);

/* Whether @value is a live token's. */
bool token_exists(uint64_t value);

/* Number of live tokens. */
unsigned token_count(void);
