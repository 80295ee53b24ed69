/* Unit tests for store/migrate.c: loading migrations and comparing them
 * with what a database recorded (no database needed). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/sha256.h"
#include "server/util.h"
#include "store/migrate.h"
#include "tests/unit/check.h"

#ifndef SOURCE_ROOT
#error "SOURCE_ROOT must be defined by the build"
#endif

static const char sum1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char sum2[] = "2222222222222222222222222222222222222222222222222222222222222222";
static const char sum3[] = "3333333333333333333333333333333333333333333333333333333333333333";
static const char other[] = "abababababababababababababababababababababababababababababababab";

static void test_compare(void)
{
	migration items[2];
	memset(items, 0, sizeof items);
	items[0].version = 1;
	items[0].name = "0001_init.sql";
	items[0].sql = "CREATE TABLE a (x int);";
	snprintf(items[0].sha256, sizeof items[0].sha256, "%s", sum1);
	items[1].version = 2;
	items[1].name = "0002_more.sql";
	items[1].sql = "CREATE TABLE b (y int);";
	snprintf(items[1].sha256, sizeof items[1].sha256, "%s", sum2);
	migration_set set = {items, 2};
	char detail[512];

	{ /* current */
		int v[] = {1, 2};
		const char *const s[] = {sum1, sum2};
		detail[0] = '\0';
		CHECK_INT_EQ(schema_compare(&set, 2, v, s, detail, sizeof detail), SCHEMA_CURRENT);
		CHECK(detail[0] != '\0');
		CHECK_STR_CONTAINS(detail, "2");
	}
	{ /* outdated: only v1 applied */
		int v[] = {1};
		const char *const s[] = {sum1};
		detail[0] = '\0';
		CHECK_INT_EQ(schema_compare(&set, 1, v, s, detail, sizeof detail), SCHEMA_OUTDATED);
		CHECK_STR_CONTAINS(detail, "culturecare migrate");
		CHECK_STR_CONTAINS(detail, "0002_more.sql");
	}
	{ /* outdated: nothing applied yet */
		detail[0] = '\0';
		CHECK_INT_EQ(schema_compare(&set, 0, NULL, NULL, detail, sizeof detail), SCHEMA_OUTDATED);
		CHECK_STR_CONTAINS(detail, "culturecare migrate");
		CHECK_STR_CONTAINS(detail, "0001_init.sql");
	}
	{ /* outdated: v2 applied but not v1 */
		int v[] = {2};
		const char *const s[] = {sum2};
		detail[0] = '\0';
		CHECK_INT_EQ(schema_compare(&set, 1, v, s, detail, sizeof detail), SCHEMA_OUTDATED);
		CHECK_STR_CONTAINS(detail, "0001_init.sql");
	}
	{ /* edited: v1 applied with another checksum */
		int v[] = {1};
		const char *const s[] = {other};
		detail[0] = '\0';
		CHECK_INT_EQ(schema_compare(&set, 1, v, s, detail, sizeof detail), SCHEMA_EDITED);
		CHECK_STR_CONTAINS(detail, "0001_init.sql");
	}
	{ /* edited: the second of two */
		int v[] = {1, 2};
		const char *const s[] = {sum1, other};
		detail[0] = '\0';
		CHECK_INT_EQ(schema_compare(&set, 2, v, s, detail, sizeof detail), SCHEMA_EDITED);
		CHECK_STR_CONTAINS(detail, "0002_more.sql");
	}
	{ /* newer: v3 applied */
		int v[] = {1, 2, 3};
		const char *const s[] = {sum1, sum2, sum3};
		detail[0] = '\0';
		CHECK_INT_EQ(schema_compare(&set, 3, v, s, detail, sizeof detail), SCHEMA_NEWER);
		CHECK_STR_CONTAINS(detail, "3");
	}
	{ /* newer wins even when the known ones are behind */
		int v[] = {1, 3};
		const char *const s[] = {sum1, sum3};
		CHECK_INT_EQ(schema_compare(&set, 2, v, s, detail, sizeof detail), SCHEMA_NEWER);
	}
	{ /* a nonsense version recorded in the database */
		int v[] = {0};
		const char *const s[] = {sum1};
		CHECK_INT_EQ(schema_compare(&set, 1, v, s, detail, sizeof detail), SCHEMA_NEWER);
	}
	{ /* a tiny detail buffer is truncated, never overrun */
		char small[8];
		memset(small, '#', sizeof small);
		int v[] = {1};
		const char *const s[] = {sum1};
		CHECK_INT_EQ(schema_compare(&set, 1, v, s, small, 4), SCHEMA_OUTDATED);
		CHECK_INT_EQ(strlen(small), 3);
		CHECK(small[4] == '#');
	}
	/* no schema_migrations table at all */
	detail[0] = '\0';
	CHECK_INT_EQ(schema_compare_result(&set, NULL, detail, sizeof detail), SCHEMA_OUTDATED);
	CHECK_STR_CONTAINS(detail, "0001_init.sql");
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void test_builtin(void)
{
	migration_set set;
	char err[512] = "";
	if (!CHECK_INT_EQ(migrations_load(NULL, &set, err, sizeof err), 0)) {
		fprintf(stderr, "  err: %s\n", err);
		return;
	}
	if (CHECK(set.n >= 1)) {
		CHECK_INT_EQ(set.items[0].version, 1);
		CHECK_STR_EQ(set.items[0].name, "0001_init.sql");
		CHECK_STR_CONTAINS(set.items[0].sql, "CREATE TABLE cultures");
		CHECK(is_hex64(set.items[0].sha256));
		char hex[65];
		sha256_hex(set.items[0].sql, strlen(set.items[0].sql), hex);
		CHECK_STR_EQ(set.items[0].sha256, hex);

		/* the embedded copy is byte for byte the file in migrations/ */
		size_t len = 0;
		char *disk = read_file(SOURCE_ROOT "/migrations/0001_init.sql", &len);
		if (CHECK(disk != NULL)) {
			sha256_hex(disk, len, hex);
			CHECK_STR_EQ(set.items[0].sha256, hex);
			CHECK_STR_EQ(set.items[0].sql, disk);
		}
		free(disk);
	}
	bool seq = true;
	for (size_t i = 0; i < set.n; i++)
		seq = seq && set.items[i].version == (int)i + 1 && is_hex64(set.items[i].sha256);
	CHECK(seq);

	/* the built-in set compares as current with itself */
	int v[64];
	const char *s[64];
	if (CHECK(set.n <= 64)) {
		for (size_t i = 0; i < set.n; i++) {
			v[i] = set.items[i].version;
			s[i] = set.items[i].sha256;
		}
		char detail[256];
		CHECK_INT_EQ(schema_compare(&set, set.n, v, s, detail, sizeof detail), SCHEMA_CURRENT);
	}
	migrations_free(&set);
	CHECK(set.items == NULL && set.n == 0);
	migrations_free(&set);
	migrations_free(NULL);
}

/* A temporary migrations folder. */
struct tmpdir {
	char path[64];
	char files[8][64];
	int nfiles;
};

static bool dir_make(struct tmpdir *d)
{
	memset(d, 0, sizeof *d);
	snprintf(d->path, sizeof d->path, "/tmp/cc-unit-migrate-XXXXXX");
	return mkdtemp(d->path) != NULL;
}

static void dir_add(struct tmpdir *d, const char *name, const char *content)
{
	char p[160];
	snprintf(p, sizeof p, "%s/%s", d->path, name);
	FILE *f = fopen(p, "wb");
	if (!CHECK(f != NULL))
		return;
	fputs(content, f);
	fclose(f);
	snprintf(d->files[d->nfiles++], sizeof d->files[0], "%s", name);
}

static void dir_remove(struct tmpdir *d)
{
	for (int i = 0; i < d->nfiles; i++) {
		char p[160];
		snprintf(p, sizeof p, "%s/%s", d->path, d->files[i]);
		unlink(p);
	}
	rmdir(d->path);
}

static void test_dir_ok(void)
{
	struct tmpdir d;
	if (!CHECK(dir_make(&d)))
		return;
	/* written out of order; readdir order must not matter */
	dir_add(&d, "0002_b.sql", "CREATE TABLE b (y int);\n");
	dir_add(&d, "0001_a.sql", "CREATE TABLE a (x int);\n");
	dir_add(&d, "README.md", "not a migration");
	dir_add(&d, ".0003_hidden.sql", "ignored");
	dir_add(&d, "0003_c.sql.bak", "ignored");
	migration_set set;
	char err[512] = "";
	if (CHECK_INT_EQ(migrations_load(d.path, &set, err, sizeof err), 0)) {
		if (CHECK_INT_EQ(set.n, 2)) {
			CHECK_INT_EQ(set.items[0].version, 1);
			CHECK_STR_EQ(set.items[0].name, "0001_a.sql");
			CHECK_STR_EQ(set.items[0].sql, "CREATE TABLE a (x int);\n");
			CHECK_INT_EQ(set.items[1].version, 2);
			CHECK_STR_EQ(set.items[1].name, "0002_b.sql");
			char hex[65];
			sha256_hex("CREATE TABLE b (y int);\n", 24, hex);
			CHECK_STR_EQ(set.items[1].sha256, hex);
		}
		migrations_free(&set);
	} else {
		fprintf(stderr, "  err: %s\n", err);
	}
	dir_remove(&d);
}

static void expect_failure(const char *const *names, int n, const char *needle)
{
	struct tmpdir d;
	if (!CHECK(dir_make(&d)))
		return;
	for (int i = 0; i < n; i++)
		dir_add(&d, names[i], "SELECT 1;\n");
	static migration dummy;
	migration_set set = {&dummy, 99}; /* garbage on purpose: must be reset */
	char err[512] = "";
	CHECK_INT_EQ(migrations_load(d.path, &set, err, sizeof err), -1);
	CHECK_STR_CONTAINS(err, needle);
	CHECK(set.items == NULL && set.n == 0);
	dir_remove(&d);
}

static void test_dir_errors(void)
{
	static const char *const gap[] = {"0001_a.sql", "0003_b.sql"};
	expect_failure(gap, 2, "0003_b.sql");
	static const char *const bad[] = {"x.sql"};
	expect_failure(bad, 1, "x.sql");
	static const char *const bad2[] = {"0001_a.sql", "0002-b.sql"};
	expect_failure(bad2, 2, "0002-b.sql");
	static const char *const zero[] = {"0000_a.sql"};
	expect_failure(zero, 1, "0000_a.sql");
	static const char *const repeat[] = {"0001_a.sql", "01_b.sql"};
	expect_failure(repeat, 2, "migrations must be numbered");
	static const char *const nostart[] = {"0002_b.sql"};
	expect_failure(nostart, 1, "0002_b.sql");

	migration_set set;
	char err[512] = "";
	CHECK_INT_EQ(migrations_load("/nonexistent/cc-unit-migrations", &set, err, sizeof err), -1);
	CHECK_STR_CONTAINS(err, "/nonexistent/cc-unit-migrations");
}

int main(void)
{
	test_compare();
	test_builtin();
	test_dir_ok();
	test_dir_errors();
	return check_done();
}
