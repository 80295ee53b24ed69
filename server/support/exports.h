/* The export formats of the annotation workflow: each writes one stored
 * item (the JSON of store_export_page) as it goes into a file an
 * annotation tool imports as it is. Pure functions over one item at a
 * time, so an export of any size streams. */
#ifndef CC_EXPORTS_H
#define CC_EXPORTS_H
#include <jansson.h>
#include <stdbool.h>

#include "server/util.h"

typedef enum export_format {
	EXPORT_JSONL,        /* the CultureCare annotation format, one item per line */
	EXPORT_CSV,          /* one row per candidate and metric */
	EXPORT_LABEL_STUDIO, /* a JSON array of Label Studio tasks */
	EXPORT_ARGILLA,      /* Argilla 2.x records, one per line */
	EXPORT_PRODIGY,      /* Prodigy tasks, one per line (compare or choice) */
} export_format;

typedef struct export_opts {
	export_format format;
	bool prodigy_choice; /* prodigy: choice tasks instead of compare lines */
	int prodigy_side;    /* prodigy compare: 1 (A, the first candidate) or 2 (B) */
} export_opts;

/* Parses a format name (jsonl, csv, label-studio, argilla, prodigy); -1. */
int export_format_parse(const char *name, export_format *out);
const char *export_content_type(export_format f);
const char *export_file_extension(export_format f);

/* What comes before the first item and after the last (CSV header, JSON
 * array brackets), and between items. */
void export_begin(const export_opts *o, sbuf *b);
void export_end(const export_opts *o, sbuf *b);
/* Writes one item; first says no item was written before. Returns the
 * number of records written (prodigy compare B skips items with one
 * candidate). */
int export_item(const export_opts *o, json_t *item, bool first, sbuf *b);

/* Label Studio's labeling config for n candidates (XML, malloc'd). */
char *export_label_studio_config(int n);
/* Argilla 2.x dataset settings for n candidates (a new reference). */
json_t *export_argilla_settings(int n);

#endif
