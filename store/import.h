/* The CultureCare JSONL importer. */
#ifndef CC_STORE_IMPORT_H
#define CC_STORE_IMPORT_H
#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

typedef struct import_counts {
	size_t posts, inserted, replaced, unchanged;
	size_t distress, post_signals, response_signals, support;
} import_counts;

/* Validates one parsed record and returns its normalised form (new
 * reference): phrases trimmed, "None" types and missing labels as null,
 * demographics as strings, empathy as an integer or null. On error returns
 * NULL and writes "field NAME: reason" into err. Pure. */
json_t *import_normalize_record(json_t *rec, char *err, size_t errlen);

/* One line of a CultureCare file (len bytes, its line break included or
 * not): 1 with its normalised record in *out (new reference), 0 for a blank
 * line, or -1 with the reason in err (invalid UTF-8, invalid JSON at a
 * column, or import_normalize_record's). Pure. */
int import_line(const char *line, size_t len, json_t **out, char *err, size_t errlen);

/* Imports one file atomically: every line is validated first, then all
 * records are written in one transaction. Re-importing an unchanged record
 * changes nothing; a changed record replaces the old one. Returns 0, or -1
 * after printing "FILE: line N: ..." to stderr. Blocking. */
int import_file(PGconn *pg, const char *path, import_counts *counts);

#endif
