/* Blocking connection for subcommands (see db.h). */
#include "server/db.h"

#include <stdio.h>
#include <string.h>

PGconn *db_connect_blocking(const char *database_url, unsigned timeout_s, char *err, size_t errlen)
{
	char timeout[16];
	snprintf(timeout, sizeof timeout, "%u", timeout_s);
	const char *keys[4], *vals[4];
	int n = 0;
	if (database_url && *database_url) {
		keys[n] = "dbname";
		vals[n++] = database_url;
	}
	keys[n] = "fallback_application_name"; /* unless the URL names one */
	vals[n++] = "culturecare";
	keys[n] = "connect_timeout";
	vals[n++] = timeout;
	keys[n] = NULL;
	vals[n] = NULL;
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", pg ? PQerrorMessage(pg) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		PQfinish(pg);
		return NULL;
	}
	PQclear(PQexec(pg, "SET client_min_messages = warning"));
	return pg;
}
