/* The deletion protocol shared by DELETE /support/{id} and DELETE
 * /items/{id}: the token in X-Deletion-Token (422 without one), only its
 * SHA-256 goes to the store; 204 when one row was erased; the same 404 for
 * an unknown id and a wrong token, so a caller without the token learns
 * nothing about which ids exist; 503 when the database cannot answer. */
#ifndef CC_HANDLERS_DELETE_BY_TOKEN_H
#define CC_HANDLERS_DELETE_BY_TOKEN_H
#include "server/http.h"
#include "store/store.h"

typedef int (*delete_fn)(store_pool *p, const char *id, const char *token_sha256_hex, store_count_cb cb, void *ud);

/* Erases the row of path parameter 0 with del; not_found is the 404's
 * message (a static string). Always answers the request. */
void delete_by_token(http_req *r, delete_fn del, const char *not_found);

#endif
