/* Schema migrations: numbered SQL files applied in order, each in its own
 * transaction, recorded in schema_migrations with a SHA-256 checksum. */
#ifndef CC_STORE_MIGRATE_H
#define CC_STORE_MIGRATE_H
#include <libpq-fe.h>
#include <stdio.h>

typedef struct migration {
	int version;     /* the leading number of the file name */
	char *name;      /* file name, e.g. 0001_init.sql */
	char *sql;
	char sha256[65]; /* hex checksum of sql */
} migration;

typedef struct migration_set {
	migration *items; /* sorted by version */
	size_t n;
} migration_set;

/* Loads the built-in migrations (dir NULL) or the *.sql files of dir.
 * Returns 0, or -1 with a message in err. */
int migrations_load(const char *dir, migration_set *out, char *err, size_t errlen);
void migrations_free(migration_set *set);

typedef enum schema_state {
	SCHEMA_CURRENT,  /* every migration applied, none edited */
	SCHEMA_OUTDATED, /* some migration of the code is not applied */
	SCHEMA_EDITED,   /* an applied migration differs from the code's */
	SCHEMA_NEWER,    /* the database has migrations the code does not know */
} schema_state;

/* Compares what the database recorded (n rows of version + checksum) with
 * the code's set. Writes a one-line explanation into detail. Pure. */
schema_state schema_compare(const migration_set *set, size_t n, const int *versions,
			    const char *const *checksums, char *detail, size_t detail_len);

/* The same from a result of "SELECT version, checksum FROM schema_migrations
 * ORDER BY version"; res NULL means the table does not exist. */
schema_state schema_compare_result(const migration_set *set, const PGresult *res,
				   char *detail, size_t detail_len);

/* Applies missing migrations under an advisory lock (safe to run from two
 * processes at once). Reports progress to out. Returns 0, or -1 after
 * printing the error to stderr. Blocking: for the `migrate` command. */
int migrate_run(PGconn *pg, const migration_set *set, FILE *out);

/* Blocking schema check for `serve` start-up. Returns the state, or -1 when
 * the database cannot be asked (detail says why). */
int schema_check(PGconn *pg, const migration_set *set, char *detail, size_t detail_len);

#endif
