/* SPDX-License-Identifier: MIT */
/*
 * Tokens live in an id table keyed by value (util/id_table.h: O(1) at any
 * count, up to one bucket per token at TOKEN_MAX_TOTAL) and in their
 * issuer's list; the TTL timer, the issuer's clear and token_take() all
 * end in token_free(), which unlinks from both and drops the reference.
 * Token values share one id space with handles (handle.h).
 */
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include <dmabufd/common.h>

#include "handle.h"
#include "status_page.h"
#include "model/dma_buf.h"
#include "model/sync_file.h"
#include "util/id_table.h"
#include "util/macros.h"

struct token {
	struct id_node id; /* id.id: the token's value */
	enum token_type type;
	void *obj;
	int mode;
	uid_t uid;
	struct token_owner *owner;
	struct timer ttl;
	LIST_ENTRY(token) owner_node;
};

static struct id_table token_table = ID_TABLE_INIT(token_table, TOKEN_MAX_TOTAL);
static unsigned token_live;
static uint64_t token_ttl = (uint64_t)DMABUFD_TOKEN_TTL_MS * 1000000u;

static void token_obj_unref(enum token_type type, void *obj)
{
	if (type == TOKEN_SYNC_FILE)
		sync_file_unref(obj);
	else if (type == TOKEN_DMA_STATUS)
		status_page_unref(obj);
	else
		dma_buf_unref(obj);
}

/* Unlink @tok everywhere and free it; returns its object reference. */
static void *token_unlink(struct token *tok)
{
	void *obj = tok->obj;

	timer_cancel(&tok->ttl);
	id_table_remove(&token_table, &tok->id);
	LIST_REMOVE(tok, owner_node);
	tok->owner->count--;
	acct_uncharge(tok->owner->acct, ACCT_TOKENS, 1);
	token_live--;
	free(tok);
	return obj;
}

static void token_free(struct token *tok)
{
	enum token_type type = tok->type;

	token_obj_unref(type, token_unlink(tok));
}

static void token_expired(struct timer *timer)
{
	token_free(container_of(timer, struct token, ttl));
}

void token_owner_init(struct token_owner *owner)
{
	LIST_INIT(&owner->tokens);
	owner->count = 0;
	owner->acct = NULL;
}

void token_owner_clear(struct token_owner *owner)
{
	struct token *tok;

	while ((tok = LIST_FIRST(&owner->tokens)))
		token_free(tok);
}

void token_set_ttl_ns(uint64_t ttl_ns)
{
	token_ttl = ttl_ns ? ttl_ns : (uint64_t)DMABUFD_TOKEN_TTL_MS * 1000000u;
}

static struct token *token_find(uint64_t value)
{
	struct id_node *node = id_table_find(&token_table, value);

	return node ? container_of(node, struct token, id) : NULL;
}

bool token_exists(uint64_t value)
{
	return token_find(value) != NULL;
}

bool token_mode_allows(int granted, int want)
{
	/* O_ACCMODE wants neither read nor write: any grant allows it. */
	if (want < 0 || want == O_ACCMODE || granted == O_RDWR)
		return true;
	return granted == want;
}

int token_new(struct token_owner *owner, enum token_type type, void *obj,
	      int mode, uid_t uid, __u64 *ret_value)
{
	struct token *tok;
	uint64_t value;
	int r;

	if (!owner || !obj || !ret_value ||
	    (type != TOKEN_DMA_BUF && type != TOKEN_SYNC_FILE &&
	     type != TOKEN_MAP && type != TOKEN_DMA_STATUS) ||
	    (mode != O_RDONLY && mode != O_WRONLY && mode != O_RDWR &&
	     (mode != O_ACCMODE || type == TOKEN_SYNC_FILE)))
		return -EINVAL;
	if (token_live >= TOKEN_MAX_TOTAL || owner->count >= TOKEN_MAX_PER_OWNER)
		return -ENOMEM;
	r = acct_charge(owner->acct, ACCT_TOKENS, 1);
	if (r < 0)
		return r;

	r = id_table_new_id(dev_id_in_use, &value);
	if (r < 0) {
		acct_uncharge(owner->acct, ACCT_TOKENS, 1);
		return r;
	}

	tok = calloc(1, sizeof(*tok));
	if (!tok) {
		acct_uncharge(owner->acct, ACCT_TOKENS, 1);
		return -ENOMEM;
	}
	tok->id.id = value;
	tok->type = type;
	tok->obj = type == TOKEN_SYNC_FILE    ? (void *)sync_file_ref(obj)
		   : type == TOKEN_DMA_STATUS ? (void *)status_page_ref(obj)
					      : (void *)dma_buf_ref(obj);
	tok->mode = mode;
	tok->uid = uid;
	tok->owner = owner;
	id_table_add(&token_table, &tok->id);
	LIST_INSERT_HEAD(&owner->tokens, tok, owner_node);
	owner->count++;
	token_live++;
	timer_init(&tok->ttl, token_expired);
	timer_arm(&tok->ttl, clock_now_ns() + token_ttl);

	*ret_value = value;
	return 0;
}

int token_take(uint64_t value, enum token_type type, int want_mode,
	       void **ret_obj, int *ret_mode, uid_t *ret_uid)
{
	struct token *tok;

	if (!ret_obj)
		return -EINVAL;
	tok = value ? token_find(value) : NULL;
	if (!tok || tok->type != type)
		return -EINVAL;
	if (!token_mode_allows(tok->mode, want_mode))
		return -EACCES;
	if (ret_mode)
		*ret_mode = tok->mode;
	if (ret_uid)
		*ret_uid = tok->uid;
	*ret_obj = token_unlink(tok);
	return 0;
}

unsigned token_count(void)
{
	return token_live;
}
