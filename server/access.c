/* API keys and per-key limits; see access.h. */
#include "server/access.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/sha256.h"

struct access_table {
	access_key *keys; /* sorted by hash */
	size_t nkeys;
	bool loaded;
	unsigned default_rpm, default_streams;
	access_limiter *limiters[256]; /* by key id, chained */
};

access_table *access_new(unsigned default_rpm, unsigned default_streams)
{
	access_table *a = calloc(1, sizeof *a);
	if (a) {
		a->default_rpm = default_rpm;
		a->default_streams = default_streams;
	}
	return a;
}

void access_free(access_table *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < 256; i++) {
		for (access_limiter *l = a->limiters[i], *next; l; l = next) {
			next = l->next;
			free(l);
		}
	}
	free(a->keys);
	free(a);
}

static int by_hash(const void *x, const void *y)
{
	return memcmp(((const access_key *)x)->hash, ((const access_key *)y)->hash, 32);
}

void access_set_keys(access_table *a, access_key *keys, size_t n)
{
	if (n > 1)
		qsort(keys, n, sizeof *keys, by_hash);
	free(a->keys);
	a->keys = keys;
	a->nkeys = n;
	a->loaded = true;
}

bool access_loaded(const access_table *a)
{
	return a->loaded;
}

unsigned access_scope_bit(const char *name)
{
	return strcmp(name, "support") == 0    ? SCOPE_SUPPORT
	       : strcmp(name, "annotate") == 0 ? SCOPE_ANNOTATE
	       : strcmp(name, "admin") == 0    ? SCOPE_ADMIN
					       : 0;
}

static int unhex(const char *h, unsigned char out[32])
{
	if (strlen(h) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = h[2 * i + k];
			v = v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 99);
		}
		if (v > 255)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

int access_key_parse(access_key *k, const char *sha256_hex, long long id, const char *prefix, const char *scopes,
		     unsigned rpm, unsigned max_streams)
{
	*k = (access_key){.id = id, .rpm = rpm, .max_streams = max_streams};
	if (unhex(sha256_hex, k->hash) < 0 || access_scopes_parse(scopes, &k->scopes) < 0)
		return -1;
	snprintf(k->prefix, sizeof k->prefix, "%s", prefix);
	return 0;
}

int access_scopes_parse(const char *list, unsigned *out)
{
	unsigned bits = 0;
	char name[16];
	while (*list) {
		size_t len = strcspn(list, ",");
		if (len == 0 || len >= sizeof name)
			return -1;
		memcpy(name, list, len);
		name[len] = '\0';
		unsigned b = access_scope_bit(name);
		if (!b)
			return -1;
		bits |= b;
		list += len + (list[len] == ',');
	}
	*out = bits;
	return bits ? 0 : -1;
}

const access_key *access_find(const access_table *a, const char *authorization)
{
	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	const char *key = authorization + 7;
	while (*key == ' ')
		key++;
	size_t len = strlen(key);
	if (len == 0 || len > 256)
		return NULL;
	access_key probe;
	sha256(key, len, probe.hash);
	/* The comparison is of hashes of a 256-bit secret: its timing tells
	 * nothing useful about the key. */
	return bsearch(&probe, a->keys, a->nkeys, sizeof *a->keys, by_hash);
}

bool access_allows(const access_key *k, unsigned scope)
{
	return (k->scopes & SCOPE_ADMIN) || (k->scopes & scope);
}

unsigned access_rpm(const access_table *a, const access_key *k)
{
	return k->rpm ? k->rpm : a->default_rpm;
}

static access_limiter *limiter_of(access_table *a, long long id)
{
	access_limiter **head = &a->limiters[(unsigned long long)id & 255];
	for (access_limiter *l = *head; l; l = l->next)
		if (l->key_id == id)
			return l;
	access_limiter *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->key_id = id;
	l->next = *head;
	*head = l;
	return l;
}

/* A sliding window of one minute, estimated from two counters (this
 * window's requests and the last one's, weighted by how much of it still
 * lies within the last 60 s). The first window starts at the key's first
 * request, so a fresh key gets exactly rpm requests in its first minute. */
#define WINDOW_NS 60000000000ull

bool access_take(access_table *a, const access_key *k, uint64_t now_ns, unsigned *retry_after_s,
		 access_limiter **limiter)
{
	access_limiter *l = limiter_of(a, k->id);
	*limiter = l;
	if (!l)
		return true; /* out of memory: do not refuse service for it */
	double limit = access_rpm(a, k);
	if (!l->started) {
		l->started = true;
		l->window_ns = now_ns;
	}
	if (now_ns >= l->window_ns + WINDOW_NS) {
		uint64_t windows = (now_ns - l->window_ns) / WINDOW_NS;
		l->prev = windows == 1 ? l->cur : 0;
		l->cur = 0;
		l->window_ns += windows * WINDOW_NS;
	}
	double f = (double)(now_ns - l->window_ns) / (double)WINDOW_NS;
	if (l->prev * (1 - f) + l->cur + 1 <= limit) {
		l->cur++;
		return true;
	}
	/* when the estimate falls to limit - 1 */
	double wait_ns;
	if (l->cur + 1 > limit) /* into the next window, where cur weighs as prev */
		wait_ns = (double)(l->window_ns + WINDOW_NS - now_ns) +
			  (double)WINDOW_NS * fmax(0, 1 - (limit - 1) / l->cur);
	else
		wait_ns = (double)l->window_ns + (double)WINDOW_NS * (1 - (limit - 1 - l->cur) / l->prev) - (double)now_ns;
	*retry_after_s = (unsigned)ceil(fmax(wait_ns, 0) / 1e9);
	if (*retry_after_s == 0)
		*retry_after_s = 1;
	return false;
}

bool access_stream_open(const access_principal *p)
{
	if (!p || !p->limiter)
		return true;
	if (p->limiter->streams >= p->max_streams)
		return false;
	p->limiter->streams++;
	return true;
}

void access_stream_close(const access_principal *p)
{
	if (p && p->limiter && p->limiter->streams > 0)
		p->limiter->streams--;
}

access_result access_check(access_table *a, const char *authorization, const char *scope, uint64_t now_ns,
		 access_principal *p, unsigned *retry_after_s)
{
	const access_key *k = access_find(a, authorization);
	if (!k)
		return ACCESS_NO_KEY;
	if (strcmp(scope, "any") != 0 && !access_allows(k, access_scope_bit(scope)))
		return ACCESS_WRONG_SCOPE;
	memset(p, 0, sizeof *p);
	snprintf(p->prefix, sizeof p->prefix, "%s", k->prefix);
	p->max_streams = k->max_streams ? k->max_streams : a->default_streams;
	p->rpm = access_rpm(a, k);
	if (!access_take(a, k, now_ns, retry_after_s, &p->limiter))
		return ACCESS_RATE_LIMITED;
	return ACCESS_OK;
}
