/* Unit tests for store/pg_resolve.c: the connection parameters given to
 * libpq, host names looked up on the loop (localhost only: no network). */
#include <stdlib.h>
#include <string.h>

#include "store/pg_resolve.h"
#include "tests/unit/check.h"

static const char *get(const pg_params *p, const char *key)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (strcmp(p->keys[i], key) == 0)
			return p->vals[i];
	return NULL;
}

typedef struct outcome {
	int calls;
	pg_params *p;
	char err[256];
} outcome;

static void on_done(void *ud, pg_params *p, const char *err)
{
	outcome *o = ud;
	o->calls++;
	o->p = p;
	snprintf(o->err, sizeof o->err, "%s", err ? err : "");
}

/* Runs a lookup to its end; *o gets the outcome. */
static int resolve(const char *conninfo, outcome *o)
{
	memset(o, 0, sizeof *o);
	uv_loop_t loop;
	uv_loop_init(&loop);
	pg_params *ready;
	pg_resolve *pending;
	static const char *const extra[] = {"options", "-c statement_timeout=5000", NULL};
	int rc = pg_resolve_start(&loop, conninfo, extra, on_done, o, &ready, &pending, o->err, sizeof o->err);
	if (rc == 0 && ready) {
		o->p = ready;
		CHECK(pending == NULL);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return rc;
}

static void no_lookup(void)
{
	outcome o;
	CHECK(resolve("host=127.0.0.1 port=5433 dbname=cc user=u sslmode=require", &o) == 0);
	CHECK(o.calls == 0);
	CHECK_STR_EQ(get(o.p, "host"), "127.0.0.1");
	CHECK_STR_EQ(get(o.p, "port"), "5433");
	CHECK_STR_EQ(get(o.p, "dbname"), "cc");
	CHECK_STR_EQ(get(o.p, "sslmode"), "require");
	CHECK_STR_EQ(get(o.p, "options"), "-c statement_timeout=5000");
	CHECK(get(o.p, "hostaddr") == NULL);
	pg_params_free(o.p);
	CHECK(resolve("postgresql:///cc?host=/var/run/postgresql", &o) == 0);
	CHECK(o.calls == 0);
	CHECK_STR_EQ(get(o.p, "host"), "/var/run/postgresql");
	pg_params_free(o.p);
	CHECK(resolve("postgresql://db.example/cc?hostaddr=10.0.0.1", &o) == 0);
	CHECK(o.calls == 0);
	CHECK_STR_EQ(get(o.p, "hostaddr"), "10.0.0.1");
	pg_params_free(o.p);
	CHECK(resolve("postgresql://u@[::1]:6000/cc", &o) == 0);
	CHECK_STR_EQ(get(o.p, "host"), "::1");
	pg_params_free(o.p);
}

static void lookups(void)
{
	outcome o;
	CHECK(resolve("postgresql://u:secret@localhost:5432/cc?target_session_attrs=read-write&sslmode=verify-full", &o) == 0);
	CHECK(o.calls == 1);
	if (CHECK(o.p != NULL)) {
		const char *host = get(o.p, "host"), *addr = get(o.p, "hostaddr");
		CHECK(host && strncmp(host, "localhost", 9) == 0);
		CHECK(addr && (strstr(addr, "127.0.0.1") || strstr(addr, "::1")));
		/* as many hosts as addresses */
		size_t nh = 1, na = 1;
		for (const char *s = host; s && *s; s++)
			nh += *s == ',';
		for (const char *s = addr; s && *s; s++)
			na += *s == ',';
		CHECK(nh == na);
		CHECK_STR_EQ(get(o.p, "port"), "5432");
		CHECK_STR_EQ(get(o.p, "target_session_attrs"), "read-write");
		CHECK_STR_EQ(get(o.p, "sslmode"), "verify-full");
		CHECK_STR_EQ(get(o.p, "password"), "secret");
		CHECK_STR_EQ(get(o.p, "dbname"), "cc");
	}
	pg_params_free(o.p);
	/* several hosts, a port each: the ports follow their hosts */
	CHECK(resolve("host=10.1.1.1,localhost,/tmp port=5001,5002,5003 dbname=cc", &o) == 0);
	CHECK(o.calls == 1);
	if (CHECK(o.p != NULL)) {
		const char *host = get(o.p, "host"), *addr = get(o.p, "hostaddr"), *port = get(o.p, "port");
		CHECK(strncmp(host, "10.1.1.1,localhost", 18) == 0);
		CHECK(strncmp(addr, "10.1.1.1,", 9) == 0);
		CHECK(strncmp(port, "5001,5002", 9) == 0);
		size_t len = strlen(host);
		CHECK(len > 5 && strcmp(host + len - 5, ",/tmp") == 0);
		CHECK(addr[strlen(addr) - 1] == ','); /* the socket's hostaddr is empty */
		CHECK(strcmp(port + strlen(port) - 5, ",5003") == 0);
	}
	pg_params_free(o.p);
}

static void failures(void)
{
	outcome o;
	CHECK(resolve("host=no-such-host.invalid dbname=cc", &o) == 0);
	CHECK(o.calls == 1 && o.p == NULL);
	CHECK(strstr(o.err, "no-such-host.invalid") != NULL);
	/* one name left: the other is dropped */
	CHECK(resolve("host=no-such-host.invalid,localhost dbname=cc", &o) == 0);
	CHECK(o.calls == 1 && o.p != NULL);
	CHECK(o.p && strncmp(get(o.p, "host"), "localhost", 9) == 0);
	pg_params_free(o.p);
	CHECK(resolve("postgresql://localhost:notaport/x?nosuchoption=1", &o) == -1);
	CHECK(strstr(o.err, "invalid connection string") != NULL);
	/* cancelled: no callback */
	uv_loop_t loop;
	uv_loop_init(&loop);
	pg_params *ready;
	pg_resolve *pending;
	memset(&o, 0, sizeof o);
	CHECK(pg_resolve_start(&loop, "host=localhost", NULL, on_done, &o, &ready, &pending, o.err, sizeof o.err) == 0);
	CHECK(pending != NULL);
	pg_resolve_cancel(pending);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK(uv_loop_close(&loop) == 0);
	CHECK(o.calls == 0);
}

int main(void)
{
	no_lookup();
	lookups();
	failures();
	return check_done();
}
