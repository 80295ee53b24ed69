/* Unit tests for server/safety/tz.c and the crisis resources of server/safety/safety.c:
 * time zone offsets (POSIX rules and TZif files, checked against the C
 * library), open_now across time zones and day boundaries with a fixed
 * clock, the order of resources, and the tel:/sms: URIs. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/safety/safety.h"
#include "server/safety/tz.h"
#include "tests/unit/check.h"

/* Seconds since the epoch of a UTC date and time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return (int64_t)timegm(&tm);
}

static void test_rules(void)
{
	tz_zone *cet = tz_from_rule("CET-1CEST,M3.5.0,M10.5.0/3");
	if (CHECK(cet != NULL)) {
		CHECK_INT_EQ(tz_offset(cet, utc(2026, 1, 15, 12, 0)), 3600);
		CHECK_INT_EQ(tz_offset(cet, utc(2026, 3, 29, 0, 59)), 3600); /* last Sunday of March, 01:00 UTC */
		CHECK_INT_EQ(tz_offset(cet, utc(2026, 3, 29, 1, 0)), 7200);
		CHECK_INT_EQ(tz_offset(cet, utc(2026, 10, 25, 0, 59)), 7200);
		CHECK_INT_EQ(tz_offset(cet, utc(2026, 10, 25, 1, 0)), 3600);
		CHECK_INT_EQ(tz_offset(cet, utc(2099, 7, 1, 0, 0)), 7200);
	}
	tz_free(cet);
	/* Israel: Friday before the last Sunday of March (4th Thursday, 26:00). */
	tz_zone *il = tz_from_rule("IST-2IDT,M3.4.4/26,M10.5.0");
	if (CHECK(il != NULL)) {
		CHECK_INT_EQ(tz_offset(il, utc(2026, 3, 26, 23, 59)), 7200);
		CHECK_INT_EQ(tz_offset(il, utc(2026, 3, 27, 0, 0)), 10800);
		CHECK_INT_EQ(tz_offset(il, utc(2026, 10, 24, 22, 59)), 10800);
		CHECK_INT_EQ(tz_offset(il, utc(2026, 10, 24, 23, 0)), 7200);
	}
	tz_free(il);
	/* Ireland: "standard" time is summer time, winter is negative DST. */
	tz_zone *ie = tz_from_rule("IST-1GMT0,M10.5.0,M3.5.0/1");
	if (CHECK(ie != NULL)) {
		CHECK_INT_EQ(tz_offset(ie, utc(2026, 1, 15, 12, 0)), 0);
		CHECK_INT_EQ(tz_offset(ie, utc(2026, 7, 1, 12, 0)), 3600);
		CHECK_INT_EQ(tz_offset(ie, utc(2026, 12, 31, 23, 30)), 0);
	}
	tz_free(ie);
	tz_zone *eg = tz_from_rule("EET-2EEST,M4.5.5/0,M10.5.4/24");
	if (CHECK(eg != NULL)) {
		CHECK_INT_EQ(tz_offset(eg, utc(2026, 4, 23, 21, 59)), 7200);
		CHECK_INT_EQ(tz_offset(eg, utc(2026, 4, 23, 22, 0)), 10800);
	}
	tz_free(eg);
	tz_zone *syd = tz_from_rule("AEST-10AEDT,M10.1.0,M4.1.0/3"); /* southern hemisphere */
	if (CHECK(syd != NULL)) {
		CHECK_INT_EQ(tz_offset(syd, utc(2026, 1, 1, 0, 0)), 11 * 3600);
		CHECK_INT_EQ(tz_offset(syd, utc(2026, 7, 1, 0, 0)), 10 * 3600);
	}
	tz_free(syd);
	tz_zone *jo = tz_from_rule("<+03>-3");
	if (CHECK(jo != NULL))
		CHECK_INT_EQ(tz_offset(jo, utc(2026, 7, 1, 0, 0)), 10800);
	tz_free(jo);
	tz_zone *ny = tz_from_rule("EST5EDT"); /* no rule: the US rules */
	if (CHECK(ny != NULL)) {
		CHECK_INT_EQ(tz_offset(ny, utc(2026, 1, 15, 12, 0)), -5 * 3600);
		CHECK_INT_EQ(tz_offset(ny, utc(2026, 7, 1, 12, 0)), -4 * 3600);
	}
	tz_free(ny);
	static const char *const bad[] = {"", "CET", "C-1", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0",
					  "CET-1CEST,M3.5.0,M10.5.0/3x", "CET-25", "<+03-3", NULL};
	for (int i = 0; bad[i]; i++) {
		tz_zone *z = tz_from_rule(bad[i]);
		if (!CHECK(z == NULL))
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
		tz_free(z);
	}
}

/* Zones read from the tz database agree with the C library's (the test
 * runs on one thread, so setenv("TZ") is safe here) from 1975 to 2060;
 * past 2037 that exercises each file's POSIX rule. */
static void test_files(void)
{
	static const char *const zones[] = {"Europe/Berlin", "Europe/Zurich", "Asia/Jerusalem", "Europe/Dublin",
					    "Europe/London", "America/New_York", "Asia/Shanghai", "Asia/Hong_Kong",
					    "Africa/Cairo", "Asia/Beirut", "Asia/Amman", "Australia/Sydney",
					    "Pacific/Chatham", "America/Sao_Paulo", "Asia/Dubai", NULL};
	tz_zone *probe = tz_load("Europe/Berlin");
	if (!probe) {
		printf("SKIP - local times in 15 zones: no tz database (install tzdata or set TZDIR)\n");
		return;
	}
	tz_free(probe);
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	for (int i = 0; zones[i]; i++) {
		tz_zone *z = tz_load(zones[i]);
		if (!CHECK(z != NULL)) {
			fprintf(stderr, "  zone: %s\n", zones[i]);
			continue;
		}
		setenv("TZ", zones[i], 1);
		tzset();
		int mismatches = 0;
		for (int64_t t = utc(1975, 1, 1, 0, 0); t < utc(2060, 1, 1, 0, 0); t += 6 * 3600 + 17 * 60) {
			time_t tt = (time_t)t;
			struct tm tm;
			localtime_r(&tt, &tm);
			if (tz_offset(z, t) != tm.tm_gmtoff && mismatches++ < 3)
				fprintf(stderr, "  %s at %lld: %d, libc %ld\n", zones[i], (long long)t, tz_offset(z, t),
					tm.tm_gmtoff);
		}
		CHECK_INT_EQ(mismatches, 0);
		tz_free(z);
	}
	if (old)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
	CHECK(tz_load("../etc/passwd") == NULL);
	CHECK(tz_load("/etc/localtime") == NULL);
	CHECK(tz_load("No/Such_Zone") == NULL);
	CHECK(tz_load("") == NULL);
	CHECK(tz_load(NULL) == NULL);
}

static void test_uris(void)
{
	char *u;
	CHECK_STR_EQ(u = safety_tel_uri("0800 111 0 111"), "tel:08001110111");
	free(u);
	CHECK_STR_EQ(u = safety_tel_uri("400-161-9995"), "tel:4001619995");
	free(u);
	CHECK_STR_EQ(u = safety_tel_uri("+41 800 143 000"), "tel:+41800143000");
	free(u);
	CHECK_STR_EQ(u = safety_tel_uri("800 725462 (800-SAKINA)"), "tel:800725462800");
	free(u);
	CHECK(safety_tel_uri("SAKINA") == NULL);
	CHECK(safety_tel_uri(NULL) == NULL);
	CHECK_STR_EQ(u = safety_sms_uri("85258", "SHOUT"), "sms:85258?body=SHOUT");
	free(u);
	CHECK_STR_EQ(u = safety_sms_uri("988", NULL), "sms:988");
	free(u);
	CHECK_STR_EQ(u = safety_sms_uri("741741", "HOME NOW"), "sms:741741?body=HOME%20NOW");
	free(u);
	CHECK(safety_sms_uri(NULL, "SHOUT") == NULL);
}

/* Resources as store/safety_load.c delivers them (the fields that matter). */
static const char resources_json[] =
	"["
	/* 0 */ "{\"country\": \"IL\", \"name\": \"SAHAR\", \"phone\": null, \"chat_url\": \"https://sahar.org.il\","
	" \"open_24_7\": false, \"time_zone\": \"Asia/Jerusalem\", \"free_of_charge\": null, \"opening_hours\":"
	" [{\"days\": [\"sun\", \"mon\", \"tue\", \"wed\", \"thu\"], \"from\": \"16:00\", \"to\": \"24:00\"},"
	"  {\"days\": [\"sat\"], \"from\": \"18:00\", \"to\": \"24:00\"}]},"
	/* 1 */ "{\"country\": \"IL\", \"name\": \"unknown hours\", \"phone\": \"1201\", \"open_24_7\": false,"
	" \"opening_hours\": null, \"time_zone\": \"Asia/Jerusalem\"},"
	/* 2 */ "{\"country\": \"IL\", \"name\": \"24/7 paid\", \"phone\": \"111\", \"open_24_7\": true,"
	" \"free_of_charge\": false},"
	/* 3 */ "{\"country\": \"IL\", \"name\": \"24/7 free\", \"phone\": \"222\", \"open_24_7\": true,"
	" \"free_of_charge\": true},"
	/* 4 */ "{\"country\": \"CH\", \"name\": \"Heart2Heart\", \"phone\": \"0800 143 000\", \"open_24_7\": false,"
	" \"time_zone\": \"Europe/Zurich\", \"opening_hours\": [{\"days\": [\"mon\", \"tue\", \"wed\", \"thu\","
	" \"fri\", \"sat\", \"sun\"], \"from\": \"18:00\", \"to\": \"23:00\"}]},"
	/* 5 */ "{\"country\": \"FR\", \"name\": \"overnight\", \"phone\": \"333\", \"open_24_7\": false,"
	" \"time_zone\": \"Europe/Paris\", \"opening_hours\": [{\"days\": [\"fri\"], \"from\": \"22:00\", \"to\": \"02:00\"}]},"
	/* 6 */ "{\"country\": \"FR\", \"name\": \"no such zone\", \"phone\": \"444\", \"open_24_7\": false,"
	" \"time_zone\": \"Mars/Olympus_Mons\", \"opening_hours\": [{\"days\": [\"mon\"], \"from\": \"00:00\", \"to\": \"24:00\"}]},"
	/* 7 */ "{\"country\": \"FR\", \"name\": \"bad hours\", \"phone\": \"555\", \"open_24_7\": false,"
	" \"time_zone\": \"Europe/Paris\", \"opening_hours\": [{\"days\": [\"someday\"], \"from\": \"00:00\", \"to\": \"24:00\"}]},"
	/* 8 */ "{\"country\": \"EU\", \"name\": \"112\", \"phone\": \"112\", \"open_24_7\": true},"
	/* 9 */ "{\"country\": \"INT\", \"name\": \"directory\", \"phone\": null, \"open_24_7\": false},"
	/* 10 */ "{\"country\": \"AE\", \"name\": \"for a culture\", \"phone\": \"800 4673\", \"open_24_7\": false,"
	" \"cultures\": [\"arabic\"]},"
	/* 11 */ "{\"country\": \"GB\", \"name\": \"Shout\", \"phone\": null, \"text_number\": \"85258\","
	" \"text_keyword\": \"SHOUT\", \"open_24_7\": true}"
	"]";

static safety *make(void)
{
	safety *s = safety_new();
	if (!s)
		return NULL;
	json_decref(s->resources);
	s->resources = json_loads(resources_json, 0, NULL);
	if (!s->resources || safety_prepare_resources(s) != 2) { /* "no such zone" and "bad hours" */
		safety_unref(s);
		return NULL;
	}
	return s;
}

static int open_at(const safety *s, size_t i, int64_t t)
{
	return safety_resource_open(&s->res[i], t);
}

static void test_open_now(const safety *s)
{
	/* The same instants in Jerusalem (UTC+2 in December) and Zurich (UTC+1). */
	int64_t thu_1430 = utc(2026, 12, 3, 14, 30); /* Thu 16:30 Jerusalem, 15:30 Zurich */
	CHECK_INT_EQ(open_at(s, 0, thu_1430), 1);
	CHECK_INT_EQ(open_at(s, 4, thu_1430), 0);
	int64_t thu_1700 = utc(2026, 12, 3, 17, 0); /* Thu 19:00 Jerusalem, 18:00 Zurich */
	CHECK_INT_EQ(open_at(s, 0, thu_1700), 1);
	CHECK_INT_EQ(open_at(s, 4, thu_1700), 1);
	CHECK_INT_EQ(open_at(s, 4, utc(2026, 12, 3, 16, 59)), 0);
	CHECK_INT_EQ(open_at(s, 4, utc(2026, 12, 3, 22, 0)), 0); /* 23:00 Zurich: closed */
	CHECK_INT_EQ(open_at(s, 4, utc(2026, 12, 3, 21, 59)), 1);
	/* Day boundary in Jerusalem: Thursday's 16-24 ends at midnight, and
	 * Friday stays closed all day. */
	CHECK_INT_EQ(open_at(s, 0, utc(2026, 12, 3, 21, 59)), 1); /* Thu 23:59 */
	CHECK_INT_EQ(open_at(s, 0, utc(2026, 12, 3, 22, 0)), 0);  /* Fri 00:00 */
	CHECK_INT_EQ(open_at(s, 0, utc(2026, 12, 4, 15, 0)), 0);  /* Fri 17:00 */
	CHECK_INT_EQ(open_at(s, 0, utc(2026, 12, 5, 15, 59)), 0); /* Sat 17:59 */
	CHECK_INT_EQ(open_at(s, 0, utc(2026, 12, 5, 16, 0)), 1);  /* Sat 18:00 */
	CHECK_INT_EQ(open_at(s, 0, utc(2026, 12, 6, 13, 59)), 0); /* Sun 15:59 */
	CHECK_INT_EQ(open_at(s, 0, utc(2026, 12, 6, 14, 0)), 1);  /* Sun 16:00 */
	/* Summer time moves the opening by an hour in UTC. */
	CHECK_INT_EQ(open_at(s, 4, utc(2026, 7, 1, 15, 59)), 0); /* 17:59 CEST */
	CHECK_INT_EQ(open_at(s, 4, utc(2026, 7, 1, 16, 0)), 1);  /* 18:00 CEST */
	CHECK_INT_EQ(open_at(s, 0, utc(2026, 7, 2, 13, 0)), 1);  /* Thu 16:00 IDT */
	CHECK_INT_EQ(open_at(s, 0, utc(2026, 7, 2, 12, 59)), 0);
	/* An interval past midnight: Friday 22:00 to Saturday 02:00, Paris. */
	CHECK_INT_EQ(open_at(s, 5, utc(2026, 12, 4, 20, 59)), 0); /* Fri 21:59 */
	CHECK_INT_EQ(open_at(s, 5, utc(2026, 12, 4, 21, 0)), 1);  /* Fri 22:00 */
	CHECK_INT_EQ(open_at(s, 5, utc(2026, 12, 5, 0, 30)), 1);  /* Sat 01:30 */
	CHECK_INT_EQ(open_at(s, 5, utc(2026, 12, 5, 1, 0)), 0);   /* Sat 02:00 */
	CHECK_INT_EQ(open_at(s, 5, utc(2026, 12, 6, 0, 30)), 0);  /* Sun 01:30 */
	/* 24/7 is always open; unknown hours, a zone that cannot be found or
	 * hours that cannot be read are never claimed open. */
	CHECK_INT_EQ(open_at(s, 2, thu_1430), 1);
	CHECK_INT_EQ(open_at(s, 1, thu_1430), -1);
	for (int64_t t = utc(2026, 12, 7, 0, 0); t < utc(2026, 12, 8, 0, 0); t += 3600) { /* a Monday */
		CHECK_INT_EQ(open_at(s, 6, t), -1);
		CHECK_INT_EQ(open_at(s, 7, t), -1);
	}
}

/* The names of a reply's resources, joined by ",", with open_now as +, -
 * or ?. */
static void names(json_t *arr, char *out, size_t n)
{
	size_t i, k = 0;
	json_t *r;
	out[0] = '\0';
	json_array_foreach(arr, i, r)
	{
		const json_t *o = json_object_get(r, "open_now");
		k += (size_t)snprintf(out + k, n - k, "%s%s%s", i ? "," : "", json_string_value(json_object_get(r, "name")),
				      json_is_true(o) ? "+" : json_is_false(o) ? "-" : json_is_null(o) ? "?" : "!");
		if (k >= n)
			break;
	}
}

static void test_order(const safety *s)
{
	char got[512];
	json_t *a = safety_resources_for(s, "il", NULL, utc(2026, 12, 3, 14, 30)); /* SAHAR open */
	names(a, got, sizeof got);
	CHECK_STR_EQ(got, "24/7 free+,24/7 paid+,SAHAR+,unknown hours?,directory?");
	json_decref(a);
	a = safety_resources_for(s, "IL", NULL, utc(2026, 12, 4, 15, 0)); /* Friday: SAHAR closed */
	names(a, got, sizeof got);
	CHECK_STR_EQ(got, "24/7 free+,24/7 paid+,unknown hours?,SAHAR-,directory?");
	json_decref(a);
	a = safety_resources_for(s, "CH", NULL, utc(2026, 12, 3, 17, 0));
	names(a, got, sizeof got);
	CHECK_STR_EQ(got, "Heart2Heart+,112+,directory?");
	json_decref(a);
	/* Without a country: the directory, plus the culture's resources. */
	a = safety_resources_for(s, NULL, NULL, utc(2026, 12, 3, 17, 0));
	names(a, got, sizeof got);
	CHECK_STR_EQ(got, "directory?");
	json_decref(a);
	a = safety_resources_for(s, NULL, "arabic", utc(2026, 12, 3, 17, 0));
	names(a, got, sizeof got);
	CHECK_STR_EQ(got, "for a culture?,directory?");
	json_decref(a);
	a = safety_resources_for(s, "GB", "jewish", utc(2026, 12, 3, 17, 0));
	names(a, got, sizeof got);
	CHECK_STR_EQ(got, "Shout+,directory?");
	json_t *shout = json_array_get(a, 0);
	CHECK_STR_EQ(json_string_value(json_object_get(shout, "sms")), "sms:85258?body=SHOUT");
	CHECK(json_is_null(json_object_get(shout, "tel")));
	CHECK(json_object_get(shout, "cultures") == NULL);
	json_decref(a);
	a = safety_resources_for(s, "CH", NULL, 0);
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(a, 0), "tel")), "tel:0800143000");
	json_decref(a);
	/* The stored resources are not changed by a reply. */
	CHECK(json_object_get(s->res[0].obj, "open_now") == NULL);
}

int main(void)
{
	test_rules();
	test_files();
	test_uris();
	safety *s = make();
	if (CHECK(s != NULL)) {
		test_open_now(s);
		test_order(s);
	}
	safety_unref(s);
	return check_done();
}
