/* Blocking database connection, for the command-line subcommands and the
 * start-up check (never used while serving). */
#ifndef CC_DB_H
#define CC_DB_H
#include <libpq-fe.h>
#include <stddef.h>

/* Connects with the same parameters as the pool. Returns NULL with a
 * one-line reason in err. */
PGconn *db_connect_blocking(const char *database_url, unsigned timeout_s, char *err, size_t errlen);

#endif
