/* API keys from the command line (blocking; `culturecare keys`). Each
 * returns a process exit code and prints its own messages. */
#ifndef CC_STORE_KEYS_H
#define CC_STORE_KEYS_H
#include <libpq-fe.h>

/* Prints the new key, alone on stdout. scopes: comma-separated support,
 * annotate, admin. rpm, streams: the key's own limits, 0 for the defaults. */
int keys_create(PGconn *pg, const char *name, const char *scopes, unsigned rpm, unsigned streams);
/* which: the key's id or prefix. */
int keys_revoke(PGconn *pg, const char *which);
/* Tab-separated: id, prefix, name, scopes, limits, created, revoked. */
int keys_list(PGconn *pg);

#endif
