/* The safety checks' text models (see server/safety/text_model.h). */
#include "server/safety/text_model.h"

#include <stdlib.h>
#include <string.h>

#include "server/safety/safety.h"
#include "server/util.h"

/* Chosen by leave-one-set-out cross-validation (README "The text model"). */
const textcat_params text_model_risk_params = {
	.bits = 18, .ngram_min = 1, .ngram_max = 3, .words = 3, .epochs = 12, .rate = 0.2, .l2 = 1e-3, .seed = 20261201, .prior = 0.05};
const textcat_params text_model_reply_params = {
	.bits = 18, .ngram_min = 1, .ngram_max = 5, .words = 2, .epochs = 12, .rate = 0.2, .l2 = 1e-3, .seed = 20261201, .prior = 0.05};

typedef struct doc_list {
	textcat_doc *v;
	size_t n, cap;
} doc_list;

/* The fields of line [p, end) split at tabs into f (at most nf + 1). */
static size_t split(const char *p, const char *end, const char **f, size_t *fl, size_t nf)
{
	size_t k = 0;
	while (k <= nf) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		const char *stop = tab ? tab : end;
		f[k] = p;
		fl[k++] = (size_t)(stop - p);
		if (!tab)
			break;
		p = tab + 1;
	}
	return k;
}

/* A row's labels from its fields; false for a row to skip. */
typedef bool (*label_fn)(const char **f, const size_t *fl, textcat_doc *d);

static bool parse_level(const char *f, size_t fl, risk_level *l)
{
	char name[16];
	if (fl == 0 || fl >= sizeof name)
		return false;
	memcpy(name, f, fl);
	name[fl] = '\0';
	return risk_level_parse(name, l) == 0;
}

static bool risk_row(const char **f, const size_t *fl, textcat_doc *d)
{
	risk_level l;
	if (!parse_level(f[2], fl[2], &l))
		return false;
	d->text = f[6];
	d->len = fl[6];
	d->y[0] = l >= RISK_HIGH;
	d->y[1] = l >= RISK_LOW;
	return true;
}

static bool reply_row(const char **f, const size_t *fl, textcat_doc *d)
{
	bool unsafe = fl[2] == 6 && memcmp(f[2], "unsafe", 6) == 0;
	if (!unsafe && !(fl[2] == 4 && memcmp(f[2], "safe", 4) == 0))
		return false;
	d->text = f[4];
	d->len = fl[4];
	d->y[0] = unsafe;
	return true;
}

/* Adds the rows of nf fields of every set to l; -1 when out of memory. */
static int read_sets(const struct embedded_file *sets, size_t nf, label_fn label, doc_list *l)
{
	for (const struct embedded_file *s = sets; s && s->name; s++) {
		const char *p = s->data, *end = s->data + s->len;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;
			const char *f[9];
			size_t fl[9];
			if (le > p && le[-1] == '\r')
				le--;
			textcat_doc d = {0};
			if (le > p && *p != '#' && split(p, le, f, fl, nf) == nf && label(f, fl, &d)) {
				textcat_doc *v = array_grow(l->v, &l->cap, l->n + 1, sizeof *v);
				if (!v)
					return -1;
				l->v = v;
				v[l->n++] = d;
			}
			p = nl ? nl + 1 : end;
		}
	}
	return 0;
}

/* The reply check scores windows (a sentence with the one before it,
 * safety_check_sentence): every window of a safe reply is safe too, so
 * each is learnt as such (an unsafe reply's sentences are not told apart:
 * only the whole is learnt). -1 when out of memory. */
typedef struct safe_window_ctx {
	doc_list *l;
	const char *text;
	size_t len;
} safe_window_ctx;

static int add_safe_window(void *ud, size_t prev, size_t from, size_t to)
{
	safe_window_ctx *c = ud;
	(void)from;
	if (prev == 0 && to == c->len)
		return 0; /* the whole reply, learnt already */
	textcat_doc *v = array_grow(c->l->v, &c->l->cap, c->l->n + 1, sizeof *v);
	if (!v)
		return -1;
	c->l->v = v;
	v[c->l->n++] = (textcat_doc){.text = c->text + prev, .len = to - prev};
	return 0;
}

static int add_safe_windows(doc_list *l)
{
	size_t n = l->n;
	for (size_t i = 0; i < n; i++) {
		safe_window_ctx c = {l, l->v[i].text, l->v[i].len};
		if (!l->v[i].y[0] && safety_each_window(c.text, c.len, add_safe_window, &c) < 0)
			return -1;
	}
	return 0;
}

/* One model on the rows of sets; *ok false when out of memory. */
static textcat *train_one(const struct embedded_file *sets, size_t nf, label_fn label, size_t nout,
			  const textcat_params *p, size_t *ndocs, bool *ok)
{
	doc_list l = {0};
	textcat *m = NULL;
	if (!sets)
		return NULL;
	int rc = read_sets(sets, nf, label, &l);
	*ndocs = l.n; /* the rows, not the windows added */
	if (rc == 0 && (label != reply_row || add_safe_windows(&l) == 0))
		m = textcat_train(p, nout, l.v, l.n);
	*ok = *ok && m;
	free(l.v);
	return m;
}

text_model *text_model_train(const struct embedded_file *risk_sets, const struct embedded_file *reply_sets,
			     const textcat_params *rp, const textcat_params *pp)
{
	text_model *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	bool ok = true;
	m->acute_min = TEXT_MODEL_ACUTE_MIN;
	m->risk_min = TEXT_MODEL_RISK_MIN;
	m->low_min = TEXT_MODEL_LOW_MIN;
	m->reply_min = TEXT_MODEL_REPLY_MIN;
	m->window_min = TEXT_MODEL_WINDOW_MIN;
	m->risk = train_one(risk_sets, 8, risk_row, 2, rp ? rp : &text_model_risk_params, &m->risk_docs, &ok);
	m->reply = train_one(reply_sets, 6, reply_row, 1, pp ? pp : &text_model_reply_params, &m->reply_docs, &ok);
	if (!ok) {
		text_model_free(m);
		return NULL;
	}
	return m;
}

text_model *text_model_builtin(void)
{
	return text_model_train(embedded_risk_sets, embedded_reply_sets, NULL, NULL);
}

void text_model_free(text_model *m)
{
	if (!m)
		return;
	textcat_free(m->risk);
	textcat_free(m->reply);
	free(m);
}

/* The risk scores of the whole text into p. */
static int risk_scores(const text_model *m, const char *text, size_t len, double p[2])
{
	int rc = textcat_score(m->risk, text, len, p);
	if (rc < 0)
		p[0] = p[1] = 0;
	return rc;
}

typedef struct risk_window_ctx {
	const textcat *risk;
	const char *text;
	size_t len;
	double best;
} risk_window_ctx;

static int score_risk_window(void *ud, size_t prev, size_t from, size_t to)
{
	risk_window_ctx *c = ud;
	double w[2];
	(void)from;
	if (prev == 0 && to == c->len)
		return 0; /* the whole text: not a window of it */
	if (textcat_score(c->risk, c->text + prev, to - prev, w) < 0)
		return -1;
	c->best = w[0] > c->best ? w[0] : c->best;
	return 0;
}

double text_model_risk_window(const text_model *m, const char *text, size_t len)
{
	if (!m || !m->risk)
		return -1;
	risk_window_ctx c = {m->risk, text, len, 0};
	return safety_each_window(text, len, score_risk_window, &c) < 0 ? -1 : c.best;
}

int text_model_risk(const text_model *m, const char *text, size_t len, double *acute, double *any)
{
	double p[2] = {0, 0};
	int rc = m && m->risk ? risk_scores(m, text, len, p) : -1;
	*acute = p[0];
	*any = p[1];
	return rc;
}

int text_model_risk_level(const text_model *m, const char *text, size_t len)
{
	double acute, any;
	if (text_model_risk(m, text, len, &acute, &any) < 0)
		return -1;
	/* the windows only when the whole text is not high already */
	double window = acute < m->acute_min && m->window_min <= 1 ? text_model_risk_window(m, text, len) : 0;
	if (window < 0)
		return -1;
	return acute >= m->acute_min || window >= m->window_min ? RISK_HIGH
	       : any >= m->risk_min  ? RISK_MODERATE
	       : m->low_min < 1 && (acute >= m->low_min || any >= m->low_min) ? RISK_LOW
						    : RISK_NONE;
}

double text_model_reply(const text_model *m, const char *text, size_t len)
{
	double p = 0;
	if (!m || !m->reply || textcat_score(m->reply, text, len, &p) < 0)
		return -1;
	return p;
}
