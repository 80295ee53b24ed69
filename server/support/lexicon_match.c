/* Matching a message against a culture of the lexicon (the method is
 * described in server/support/lexicon.c). */
#include "server/support/lexicon_internal.h"

#include <stdlib.h>
#include <string.h>

#include "server/util.h"

/* NULL sorts first. */
static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

typedef struct cand {
	uint32_t id;
	bool exact;   /* CJK substring: similarity 1 */
	double bound; /* exact: 2, so that one comparison puts them first */
} cand;

typedef struct scored {
	uint32_t id;
	double sim;
} scored;

/* Whether candidate a is to be scored before b. */
static bool cand_before(const cand *a, const cand *b)
{
	if (a->bound != b->bound)
		return a->bound > b->bound;
	return a->id < b->id;
}

/* Binary heap of candidates, the first to score on top. */
static void heap_down(cand *h, size_t n, size_t i)
{
	cand x = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && cand_before(&h[c + 1], &h[c]))
			c++;
		if (!cand_before(&h[c], &x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void heap_make(cand *h, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		heap_down(h, n, i);
}

/* Removes the top of the heap into *out. */
static void heap_pop(cand *h, size_t *n, cand *out)
{
	*out = h[0];
	h[0] = h[--*n];
	if (*n)
		heap_down(h, *n, 0);
}

/* Result order of two scored signal groups (negative: a first). */
static int sig_order(const lexicon_culture *c, const scored *a, const scored *b)
{
	if (a->sim != b->sim)
		return a->sim > b->sim ? -1 : 1;
	const sig_group *x = &c->g[a->id], *y = &c->g[b->id];
	if (x->occurrences != y->occurrences)
		return x->occurrences > y->occurrences ? -1 : 1;
	int r = strcmp(x->phrase, y->phrase);
	if (!r)
		r = strcmp(x->side, y->side);
	if (!r)
		r = strcmp_null(x->type, y->type);
	return r ? r : (a->id > b->id) - (a->id < b->id);
}

static int dis_order(const lexicon_culture *c, const scored *a, const scored *b)
{
	(void)c;
	if (a->sim != b->sim)
		return a->sim > b->sim ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

typedef int (*order_fn)(const lexicon_culture *c, const scored *a, const scored *b);

/* Scores the candidates (a heap, emptied on the way) into top (room for
 * k), best first; returns how many. */
static size_t select_top(const lexicon_culture *c, text *t, cand *heap, size_t n, double threshold, size_t k,
			 order_fn order, scored *top)
{
	size_t nt = 0;
	heap_make(heap, n);
	while (n > 0 && k > 0) {
		cand x;
		heap_pop(heap, &n, &x);
		if (!x.exact && (x.bound < threshold || (nt == k && x.bound < top[k - 1].sim)))
			break;
		const unit *u = x.id < c->ng ? &c->g[x.id].u : &c->d[x.id - c->ng].u;
		scored s = {x.id < c->ng ? x.id : (uint32_t)(x.id - c->ng), 1.0};
		/* Its similarity is at most its bound, and at a similarity equal
		 * to the K-th's the order of the two does not depend on it: so
		 * when it would not enter even with its bound, it does not. */
		scored best = {s.id, x.exact ? 1.0 : x.bound};
		if (nt == k && order(c, &best, &top[k - 1]) >= 0)
			continue;
		if (!x.exact) {
			/* A similarity below floor is dropped below (below the
			 * threshold, or not better than the K-th), so when the
			 * window bound is below it, lex_score() cannot change the
			 * result. */
			double floor = nt == k && top[k - 1].sim > threshold ? top[k - 1].sim : threshold;
			size_t nids = lex_phrase_ids(t, c->tri + u->tri_off, u->ntri);
			if (lex_window_bound(t, t->pids, nids, u->ntri, u->nwords) < floor)
				continue;
			s.sim = lex_score(t, t->pids, nids, u->ntri, u->nwords, floor);
		}
		if (!(s.sim >= threshold) || s.sim <= 0)
			continue;
		if (nt == k && order(c, &s, &top[k - 1]) >= 0)
			continue;
		size_t j = nt < k ? nt++ : k - 1;
		while (j > 0 && order(c, &s, &top[j - 1]) < 0) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = s;
	}
	return nt;
}

static const post_ref *post_find(const lexicon_culture *c, long id)
{
	size_t lo = 0, hi = c->nposts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->posts[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nposts && c->posts[lo].id == id ? &c->posts[lo] : NULL;
}

typedef struct strat_acc {
	const char *strategy;
	size_t count;
	const char *examples[3];
	size_t nexamples;
} strat_acc;

static int cmp_strat(const void *a, const void *b)
{
	const strat_acc *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->strategy, y->strategy);
}

/* The strategies of the support phrases of posts (n ids, sorted unique). */
static int strategies(const lexicon_culture *c, const long *posts, size_t n, size_t max, lexicon_result *out)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		const post_ref *p = post_find(c, posts[i]);
		if (p)
			total += p->n;
	}
	if (total == 0 || max == 0)
		return 0;
	uint32_t *idx = malloc(total * sizeof *idx);
	strat_acc *acc = NULL;
	size_t nacc = 0, cap = 0, counted = 0;
	if (!idx)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const post_ref *p = post_find(c, posts[i]);
		if (p) {
			memcpy(idx + k, c->sup_order + p->off, p->n * sizeof *idx);
			k += p->n;
		}
	}
	qsort(idx, total, sizeof *idx, cmp_u32); /* insertion order */
	for (size_t i = 0; i < total; i++) {
		const sup *s = &c->s[idx[i]];
		if (!s->strategy)
			continue;
		size_t j = 0;
		while (j < nacc && acc[j].strategy != s->strategy)
			j++;
		if (j == nacc) {
			strat_acc *a = array_grow(acc, &cap, nacc + 1, sizeof *acc);
			if (!a) {
				free(acc);
				free(idx);
				return -1;
			}
			acc = a;
			acc[nacc++] = (strat_acc){s->strategy, 0, {NULL, NULL, NULL}, 0};
		}
		strat_acc *a = &acc[j];
		a->count++;
		counted++;
		if (a->nexamples < 3 && s->phrase[0]) {
			bool dup = false;
			for (size_t e = 0; e < a->nexamples; e++)
				dup = dup || a->examples[e] == s->phrase; /* interned */
			if (!dup)
				a->examples[a->nexamples++] = s->phrase;
		}
	}
	free(idx);
	if (nacc == 0) {
		free(acc);
		return 0;
	}
	qsort(acc, nacc, sizeof *acc, cmp_strat);
	size_t m = nacc < max ? nacc : max;
	out->strategies = malloc(m * sizeof *out->strategies);
	if (!out->strategies) {
		free(acc);
		return -1;
	}
	for (size_t i = 0; i < m; i++) {
		lexicon_strategy *st = &out->strategies[i];
		st->strategy = acc[i].strategy;
		st->weight = (double)acc[i].count / (double)counted;
		memcpy(st->examples, acc[i].examples, sizeof st->examples);
		st->nexamples = acc[i].nexamples;
	}
	out->nstrategies = m;
	free(acc);
	return 0;
}

static size_t sort_unique_longs(long *v, size_t n)
{
	if (n < 2)
		return n;
	qsort(v, n, sizeof *v, cmp_long);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || v[u - 1] != v[i])
			v[u++] = v[i];
	return u;
}

/* Bits set in x (without a library call where the target has no
 * population count instruction by default). */
static inline uint32_t popcount64(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555u;
	x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
	return (uint32_t)((x * 0x0101010101010101u) >> 56);
}

/* Counts per unit of c the trigrams it shares with t into count (zero
 * on entry), listing each unit counted in touched; only signal groups
 * when kmax_dis is 0, only distress phrases when kmax_sig is 0. Returns
 * how many units are listed. The signal groups sharing the most frequent
 * trigrams are not walked one by one: those trigrams of t make a bitmap,
 * and each group adds the bits its own bitmap shares with it. */
static size_t count_shared(const lexicon_culture *c, const text *t, size_t kmax_sig, size_t kmax_dis,
			   uint32_t *count, uint32_t *touched)
{
	size_t ntouched = 0;
	uint64_t freq[LEX_FREQ_WORDS] = {0};
	bool any_freq = false;
	if ((!kmax_sig && !kmax_dis) || !c->full.keys)
		return 0;
	for (size_t id = 0; id < t->nutri; id++) {
		uint32_t i = tri_index_slot(&c->full, t->utri[id]);
		if (i == UINT32_MAX)
			continue;
		/* a posting list is sorted by unit: the signal groups (ids
		 * below ng) come first, nsig[i] of them */
		const uint32_t *post = c->full.post + c->full.off[i], *post_end = post + c->full.len[i];
		if (!kmax_sig || c->frank[i] < LEX_NFREQ) {
			if (kmax_sig) {
				freq[c->frank[i] / 64] |= (uint64_t)1 << (c->frank[i] % 64);
				any_freq = true;
			}
			post += c->nsig[i];
		}
		if (!kmax_dis)
			post_end = c->full.post + c->full.off[i] + c->nsig[i];
		for (; post < post_end; post++) { /* without a branch: it would be mispredicted often */
			uint32_t u = *post;
			touched[ntouched] = u;
			ntouched += count[u]++ == 0;
		}
	}
	for (size_t g = 0; any_freq && g < c->ng; g++) {
		const uint64_t *m = c->fmask + g * LEX_FREQ_WORDS;
		uint32_t n = 0;
		for (size_t w = 0; w < LEX_FREQ_WORDS; w++)
			n += popcount64(m[w] & freq[w]);
		touched[ntouched] = (uint32_t)g;
		ntouched += n && count[g] == 0;
		count[g] += n;
	}
	return ntouched;
}

/* The candidates among the touched units (ntouched): signals into
 * cs[0 .. *nsig), distress phrases filled from the end, into
 * cs[nunits - *ndis .. nunits) (the order within each is the heap's). */
static void collect_cands(const lexicon_culture *c, text *t, const lexicon_opts *o, const uint32_t *count,
			  const uint32_t *touched, size_t ntouched, cand *cs, size_t *nsig, size_t *ndis)
{
	size_t nunits = c->ng + c->nd;
	*nsig = *ndis = 0;
	for (size_t i = 0; i < ntouched; i++) {
		uint32_t id = touched[i];
		bool is_sig = id < c->ng;
		const unit *u = is_sig ? &c->g[id].u : &c->d[id - c->ng].u;
		cand x = {id, false, (double)count[id] / (double)u->ntri};
		/* exact: a CJK phrase inside the text, or any other phrase there
		 * as whole words (then all its trigrams are shared) */
		if (u->norm_len && (u->cjk ? lex_cjk_substring(t, c->norm + u->norm_off, u->norm_len)
					   : count[id] == u->ntri && lex_word_substring(t, c->norm + u->norm_off, u->norm_len))) {
			x.exact = true;
			x.bound = 2.0;
		} else if (!(x.bound >= (is_sig ? o->signal_threshold : o->distress_threshold))) {
			continue;
		}
		if (is_sig)
			cs[(*nsig)++] = x;
		else
			cs[nunits - ++*ndis] = x;
	}
}

/* The matches of the best signal groups (top_sig, ns) and distress
 * phrases (top_dis, nd) into out. */
static int fill_results(const lexicon_culture *c, const scored *top_sig, size_t ns, const scored *top_dis, size_t nd,
			lexicon_result *out)
{
	if (ns) {
		out->signals = malloc(ns * sizeof *out->signals);
		if (!out->signals)
			return -1;
		for (size_t i = 0; i < ns; i++) {
			const sig_group *g = &c->g[top_sig[i].id];
			out->signals[i] = (lexicon_signal_match){g->phrase, g->type, g->side, top_sig[i].sim, g->occurrences};
		}
		out->nsignals = ns;
	}
	if (nd) {
		out->distress = malloc(nd * sizeof *out->distress);
		if (!out->distress)
			return -1;
		for (size_t i = 0; i < nd; i++) {
			const dis *d = &c->d[top_dis[i].id];
			out->distress[i] = (lexicon_distress_match){d->phrase, d->intensity, top_dis[i].sim, d->post};
		}
		out->ndistress = nd;
	}
	return 0;
}

/* The strategies of the posts of the distress phrases in out, else of the
 * best signal groups (top_sig, ns), into out. */
static int match_strategies(const lexicon_culture *c, const lexicon_opts *o, const scored *top_sig, size_t ns,
			    lexicon_result *out)
{
	size_t nd = out->ndistress;
	long *posts = NULL;
	size_t np = 0;
	if (nd) {
		posts = malloc(nd * sizeof *posts);
		if (!posts)
			return -1;
		for (size_t i = 0; i < nd; i++)
			posts[np++] = out->distress[i].post_id;
	} else if (ns) {
		size_t total = 0;
		for (size_t i = 0; i < ns; i++)
			total += c->g[top_sig[i].id].occurrences;
		posts = malloc(total * sizeof *posts);
		if (!posts)
			return -1;
		for (size_t i = 0; i < ns; i++) {
			const sig_group *g = &c->g[top_sig[i].id];
			memcpy(posts + np, c->gposts + g->post_off, g->occurrences * sizeof *posts);
			np += g->occurrences;
		}
	}
	np = sort_unique_longs(posts, np);
	int rc = strategies(c, posts, np, o->max_strategies, out);
	free(posts);
	return rc;
}

int lexicon_match(const lexicon *l, const lexicon_culture *c, const char *message, size_t len,
		  const lexicon_opts *o, lexicon_result *out)
{
	if (!out)
		return -1;
	memset(out, 0, sizeof *out);
	if (!l || !c || c->owner != l || !l->finished || l->failed)
		return -1;
	lexicon_opts def;
	if (!o) {
		lexicon_opts_default(&def);
		o = &def;
	}
	size_t nunits = c->ng + c->nd;
	size_t kmax_sig = o->max_signals, kmax_dis = o->max_distress;
	text t;
	uint32_t *count = NULL, *touched = NULL;
	cand *cs = NULL;
	scored *top_sig = NULL, *top_dis = NULL;
	int rc = -1;
	if (lex_text_init(&t, message, len) < 0)
		goto done;
	count = calloc(nunits + 1, sizeof *count);
	touched = malloc((nunits + 1) * sizeof *touched);
	cs = malloc((nunits + 1) * sizeof *cs);
	if (!count || !touched || !cs)
		goto done;

	size_t ntouched = count_shared(c, &t, kmax_sig, kmax_dis, count, touched);
	size_t nsig, ndis;
	collect_cands(c, &t, o, count, touched, ntouched, cs, &nsig, &ndis);

	if (kmax_sig > nsig)
		kmax_sig = nsig;
	if (kmax_dis > ndis)
		kmax_dis = ndis;
	top_sig = malloc((kmax_sig + 1) * sizeof *top_sig);
	top_dis = malloc((kmax_dis + 1) * sizeof *top_dis);
	if (!top_sig || !top_dis)
		goto done;
	size_t ns = select_top(c, &t, cs, nsig, o->signal_threshold, kmax_sig, sig_order, top_sig);
	size_t nd = select_top(c, &t, cs + nunits - ndis, ndis, o->distress_threshold, kmax_dis, dis_order, top_dis);

	if (fill_results(c, top_sig, ns, top_dis, nd, out) < 0)
		goto done;
	if (match_strategies(c, o, top_sig, ns, out) < 0)
		goto done;
	rc = 0;
done:
	lex_text_free(&t);
	free(count);
	free(touched);
	free(cs);
	free(top_sig);
	free(top_dis);
	if (rc < 0)
		lexicon_result_clear(out);
	return rc;
}

void lexicon_result_clear(lexicon_result *r)
{
	if (!r)
		return;
	free(r->signals);
	free(r->distress);
	free(r->strategies);
	memset(r, 0, sizeof *r);
}
