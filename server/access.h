/* Access control: the API keys a running service accepts (loaded from
 * PostgreSQL, only their SHA-256), their scopes, and per-key limits:
 * RATE_LIMIT_RPM requests in any minute (a sliding window) and a count of
 * open streams. Everything runs on the loop thread. */
#ifndef CC_ACCESS_H
#define CC_ACCESS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum access_scope {
	SCOPE_SUPPORT = 1,
	SCOPE_ANNOTATE = 2,
	SCOPE_ADMIN = 4, /* allows everything */
};

/* Per-key state that outlives key reloads (found by the key's id). */
typedef struct access_limiter {
	long long key_id;
	bool started;
	uint64_t window_ns;   /* start of the current one-minute window */
	double cur, prev;     /* requests in it, and in the one before */
	unsigned streams;
	struct access_limiter *next;
} access_limiter;

typedef struct access_key {
	unsigned char hash[32];
	long long id;
	unsigned scopes;
	unsigned rpm, max_streams; /* 0: the configured default */
	char prefix[12];
} access_key;

typedef struct access_table access_table;

access_table *access_new(unsigned default_rpm, unsigned default_streams);
void access_free(access_table *a);

/* Replaces the key set (keys is taken). Until the first call no key is
 * known and access_loaded() is false. */
void access_set_keys(access_table *a, access_key *keys, size_t n);
bool access_loaded(const access_table *a);

/* Fills *k from a stored key: its SHA-256 (64 hex digits), id, prefix,
 * scope list and limits. 0, or -1 when the hash or a scope is malformed. */
int access_key_parse(access_key *k, const char *sha256_hex, long long id, const char *prefix, const char *scopes,
		     unsigned rpm, unsigned max_streams);

/* Parses "support,annotate" into scope bits; -1 for an unknown name. */
int access_scopes_parse(const char *list, unsigned *out);
/* The bit of one scope name, 0 if unknown. */
unsigned access_scope_bit(const char *name);

/* The key sent as "Bearer <key>" (the whole header value), or NULL. */
const access_key *access_find(const access_table *a, const char *authorization);

/* True when k may use an operation needing scope (one bit). */
bool access_allows(const access_key *k, unsigned scope);

/* Counts one request of the key at time now_ns. Returns true,
 * or false with *retry_after_s, the whole seconds until one is free;
 * *limiter is the key's state. */
bool access_take(access_table *a, const access_key *k, uint64_t now_ns, unsigned *retry_after_s,
		 access_limiter **limiter);

/* What a request acts as, copied from its key when the request arrived (a
 * key reload may free the key meanwhile; limiters stay). */
typedef struct access_principal {
	access_limiter *limiter;
	unsigned rpm, max_streams;
	char prefix[12];
} access_principal;

/* Counts one more open stream if the key is under its limit. */
bool access_stream_open(const access_principal *p);
void access_stream_close(const access_principal *p);

/* The outcome of access_check. */
typedef enum access_result {
	ACCESS_OK,
	ACCESS_NO_KEY,      /* no valid key (401) */
	ACCESS_WRONG_SCOPE, /* the key lacks the scope (403) */
	ACCESS_RATE_LIMITED /* over the key's rate (429, with *retry_after_s) */
} access_result;

/* The checks of one request for a route needing scope ("support",
 * "annotate", "admin" or "any"): fills *p and returns ACCESS_OK, or
 * returns the error. */
access_result access_check(access_table *a, const char *authorization, const char *scope, uint64_t now_ns,
		 access_principal *p, unsigned *retry_after_s);

/* The key's limits, the defaults applied. */
unsigned access_rpm(const access_table *a, const access_key *k);

#endif
