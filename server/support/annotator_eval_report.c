/* The figures of `culturecare eval-annotator`: F1 and the report (see
 * server/support/annotator_eval.h). */
#include "server/support/annotator_eval.h"

#include <stdio.h>

static double ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : 0;
}

static double f1(double p, double r)
{
	return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

double ae_macro_f1(const size_t conf[AE_NINT][AE_NINT + 1])
{
	double sum = 0;
	int classes = 0;
	for (int c = 0; c < AE_NINT; c++) {
		size_t tp = conf[c][c], ngold = 0, pred = 0;
		for (int j = 0; j <= AE_NINT; j++)
			ngold += conf[c][j];
		for (int g = 0; g < AE_NINT; g++)
			pred += conf[g][c];
		if (!ngold && !pred)
			continue;
		classes++;
		sum += f1(ratio(tp, pred), ratio(tp, ngold));
	}
	return classes ? sum / classes : 0;
}

static double accuracy(const size_t conf[AE_NINT][AE_NINT + 1])
{
	size_t ok = 0, all = 0;
	for (int g = 0; g < AE_NINT; g++)
		for (int p = 0; p <= AE_NINT; p++) {
			all += conf[g][p];
			ok += g == p ? conf[g][p] : 0;
		}
	return ratio(ok, all);
}

static void pct(FILE *f, double x)
{
	fprintf(f, " %5.1f |", 100 * x);
}

static void row_signals(FILE *f, const char *name, const ae_counts *c)
{
	double p = ratio(c->sig_pred_ok, c->sig_pred), r = ratio(c->sig_found, c->sig_gold);
	double ep = ratio(c->ex_pred_ok, c->ex_pred), er = ratio(c->ex_found, c->sig_gold);
	fprintf(f, "| %s | %zu | %zu |", name, c->posts, c->sig_gold);
	pct(f, p);
	pct(f, r);
	pct(f, f1(p, r));
	pct(f, ratio(c->type_ok, c->type_n));
	pct(f, ep);
	pct(f, er);
	pct(f, f1(ep, er));
	pct(f, ratio(c->ex_type_ok, c->ex_type_n));
	pct(f, ratio(c->type_major_ok, c->type_n));
	fputc('\n', f);
}

static void row_distress(FILE *f, const char *name, const ae_counts *c)
{
	fprintf(f, "| %s | %zu | %zu |", name, c->posts, c->dis_gold);
	pct(f, ratio(c->dis_found, c->dis_gold));
	pct(f, ratio(c->dis_pred_ok, c->dis_pred));
	pct(f, accuracy(c->conf));
	pct(f, ae_macro_f1(c->conf));
	pct(f, accuracy(c->major));
	pct(f, ae_macro_f1(c->major));
	fputc('\n', f);
}

void ae_report_print(const ae_report *rep, const char *annotator, FILE *f)
{
	if (rep->split == AE_SPLIT_TEST)
		fprintf(f, "annotator %s, test part of each culture's posts against the tuning part (%%)\n\n", annotator);
	else
		fprintf(f, "annotator %s, %u folds by post within each culture%s (%%)\n\n", annotator, rep->k,
			rep->split == AE_SPLIT_TUNE ? ", tuning part" : "");
	fputs("| signals | posts | gold | P | R | F1 | type acc. | exact P | exact R | exact F1 | exact type acc. "
	      "| majority type acc. |\n",
	      f);
	fputs("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", f);
	for (size_t i = 0; i < rep->ncultures; i++)
		row_signals(f, rep->cultures[i], &rep->counts[i]);
	row_signals(f, "overall", &rep->all);
	fputs("\n| distress | posts | gold | recall | precision | intensity acc. | intensity macro-F1 "
	      "| majority acc. | majority macro-F1 |\n",
	      f);
	fputs("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", f);
	for (size_t i = 0; i < rep->ncultures; i++)
		row_distress(f, rep->cultures[i], &rep->counts[i]);
	row_distress(f, "overall", &rep->all);
	if (rep->all.failures)
		fprintf(f, "\n%zu of %zu messages failed (counted as annotated with nothing)\n", rep->all.failures,
			rep->all.posts);
}
