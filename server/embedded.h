/* Files compiled into the binary by the build (see server/embed.c). */
#ifndef CC_EMBEDDED_H
#define CC_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
	const char *name; /* base name, e.g. "0001_init.sql" */
	const char *data; /* NUL-terminated */
	size_t len;       /* without the terminating NUL */
};

/* Terminated by an entry whose name is NULL. */
extern const struct embedded_file embedded_migrations[];
extern const struct embedded_file embedded_openapi[];
extern const struct embedded_file embedded_ui[]; /* server/ui/: the web page */
/* The text models' training data: tests/risk_eval/set1..4.tsv and
 * tests/reply_eval/set1..4.tsv */
extern const struct embedded_file embedded_risk_sets[];
extern const struct embedded_file embedded_reply_sets[];

#endif
