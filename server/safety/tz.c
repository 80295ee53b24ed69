/* Time zones read from TZif files (see tz.h). */
#include "server/safety/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One end of daylight saving time in a POSIX TZ rule. */
typedef struct tz_when {
	char kind;    /* 'J': Julian day 1..365 without Feb 29; 'D': day 0..365; 'M': month.week.day */
	int m, w, d;  /* 'M': month 1..12, week 1..5 (5 = last), weekday 0..6 (0 = Sunday) */
	int n;        /* 'J', 'D': the day */
	int32_t secs; /* local time of day of the change, -167 h .. 167 h (RFC 8536) */
} tz_when;

typedef struct tz_rule {
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	tz_when start, end;
} tz_rule;

struct tz_zone {
	size_t ntimes;
	int64_t *times;  /* transitions, ascending */
	uint8_t *types;  /* the type in force from each transition */
	size_t ntypes;
	int32_t *offs;   /* UTC offset of each type */
	bool has_rule;   /* the footer rule, for instants past the last transition */
	tz_rule rule;
};

/* ---- calendar arithmetic (proleptic Gregorian, after H. Hinnant) ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t year_of_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	return yoe + era * 400 + (m <= 2);
}

static bool leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap_year(y) ? 29 : n[m - 1];
}

/* Seconds since the epoch of the change w in year y, counted as if local
 * time were UTC (the caller subtracts the offset in force before it). */
static int64_t when_local(const tz_when *w, int64_t y)
{
	int64_t day;
	if (w->kind == 'J')
		day = days_from_civil(y, 1, 1) + w->n - 1 + (leap_year(y) && w->n >= 60);
	else if (w->kind == 'D')
		day = days_from_civil(y, 1, 1) + w->n;
	else {
		int64_t first = days_from_civil(y, w->m, 1);
		int wd = (int)((first % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
		int md = 1 + (w->d - wd + 7) % 7 + (w->w - 1) * 7;
		while (md > month_days(y, w->m))
			md -= 7;
		day = first + md - 1;
	}
	return day * 86400 + w->secs;
}

/* ---- POSIX TZ rules ---- */

static const char *parse_name(const char *p)
{
	if (*p == '<') {
		const char *q = strchr(p, '>');
		return q && q - p >= 4 ? q + 1 : NULL;
	}
	const char *q = p;
	while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
		q++;
	return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]] with hours up to max_h; seconds into *out. */
static const char *parse_hms(const char *p, int max_h, int32_t *out)
{
	int sign = 1;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	int part[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		if (i > 0) {
			if (*p != ':')
				break;
			p++;
		}
		if (*p < '0' || *p > '9')
			return NULL;
		int v = 0, digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 3) {
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		part[i] = v;
	}
	if (part[0] > max_h || part[1] > 59 || part[2] > 59)
		return NULL;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return p;
}

static const char *parse_int(const char *p, int lo, int hi, int *out)
{
	if (*p < '0' || *p > '9')
		return NULL;
	int v = 0;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v > hi)
			return NULL;
	}
	if (v < lo)
		return NULL;
	*out = v;
	return p;
}

static const char *parse_when(const char *p, tz_when *w)
{
	if (*p == 'M') {
		w->kind = 'M';
		if (!(p = parse_int(p + 1, 1, 12, &w->m)) || *p++ != '.' || !(p = parse_int(p, 1, 5, &w->w)) ||
		    *p++ != '.' || !(p = parse_int(p, 0, 6, &w->d)))
			return NULL;
	} else if (*p == 'J') {
		w->kind = 'J';
		if (!(p = parse_int(p + 1, 1, 365, &w->n)))
			return NULL;
	} else {
		w->kind = 'D';
		if (!(p = parse_int(p, 0, 365, &w->n)))
			return NULL;
	}
	w->secs = 2 * 3600;
	if (*p == '/' && !(p = parse_hms(p + 1, 167, &w->secs)))
		return NULL;
	return p;
}

static bool parse_rule(const char *p, tz_rule *r)
{
	int32_t west;
	memset(r, 0, sizeof *r);
	if (!(p = parse_name(p)) || !(p = parse_hms(p, 24, &west)))
		return false;
	r->std_off = r->dst_off = -west;
	if (!*p)
		return true;
	if (!(p = parse_name(p)))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = parse_hms(p, 24, &west)))
			return false;
		r->dst_off = -west;
	}
	if (!*p) { /* no rule given: the US rules, as POSIX implementations assume */
		r->start = (tz_when){'M', 3, 2, 0, 0, 2 * 3600};
		r->end = (tz_when){'M', 11, 1, 0, 0, 2 * 3600};
		return true;
	}
	if (*p++ != ',' || !(p = parse_when(p, &r->start)) || *p++ != ',' || !(p = parse_when(p, &r->end)))
		return false;
	return *p == '\0';
}

static int32_t rule_offset(const tz_rule *r, int64_t t)
{
	if (!r->has_dst)
		return r->std_off;
	/* The latest change at or before t, among those of the years around
	 * it, decides; this also covers rules whose DST spans the new year. */
	int64_t y = year_of_days(floor_div(t + r->std_off, 86400));
	int64_t best = INT64_MIN;
	int32_t off = r->std_off;
	for (int64_t k = y - 1; k <= y + 1; k++) {
		int64_t on = when_local(&r->start, k) - r->std_off;
		int64_t off_at = when_local(&r->end, k) - r->dst_off;
		if (on <= t && on > best) {
			best = on;
			off = r->dst_off;
		}
		if (off_at <= t && off_at > best) {
			best = off_at;
			off = r->std_off;
		}
	}
	return off;
}

/* ---- TZif files ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

void tz_free(tz_zone *z)
{
	if (!z)
		return;
	free(z->times);
	free(z->types);
	free(z->offs);
	free(z);
}

/* Parses the TZif data of buf (n bytes); NULL when it is not valid. */
static tz_zone *parse_tzif(const unsigned char *buf, size_t n)
{
	if (n < 44 || memcmp(buf, "TZif", 4) != 0)
		return NULL;
	int version = buf[4] ? buf[4] - '0' : 1;
	const unsigned char *h = buf;
	size_t tsize = 4;
	if (version >= 2) { /* skip the 32-bit block to the 64-bit one */
		size_t v1 = (size_t)be32(h + 32) * 5 + (size_t)be32(h + 36) * 6 + be32(h + 40) +
			    (size_t)be32(h + 28) * 8 + be32(h + 24) + be32(h + 20);
		if (44 + v1 + 44 > n)
			return NULL;
		h = buf + 44 + v1;
		if (memcmp(h, "TZif", 4) != 0)
			return NULL;
		tsize = 8;
	}
	uint32_t isutcnt = be32(h + 20), isstdcnt = be32(h + 24), leapcnt = be32(h + 28), timecnt = be32(h + 32),
		 typecnt = be32(h + 36), charcnt = be32(h + 40);
	if (typecnt == 0 || typecnt > 256 || timecnt > 1000000)
		return NULL;
	size_t data = (size_t)timecnt * (tsize + 1) + (size_t)typecnt * 6 + charcnt +
		      (size_t)leapcnt * (tsize + 4) + isstdcnt + isutcnt;
	const unsigned char *d = h + 44;
	if ((size_t)(d - buf) + data > n)
		return NULL;
	tz_zone *z = calloc(1, sizeof *z);
	if (!z)
		return NULL;
	z->ntimes = timecnt;
	z->ntypes = typecnt;
	z->times = malloc((timecnt ? timecnt : 1) * sizeof *z->times);
	z->types = malloc(timecnt ? timecnt : 1);
	z->offs = malloc(typecnt * sizeof *z->offs);
	if (!z->times || !z->types || !z->offs) {
		tz_free(z);
		return NULL;
	}
	for (size_t i = 0; i < timecnt; i++) {
		z->times[i] = tsize == 8 ? be64(d + i * 8) : (int64_t)(int32_t)be32(d + i * 4);
		if (i > 0 && z->times[i] <= z->times[i - 1]) {
			tz_free(z);
			return NULL;
		}
	}
	d += (size_t)timecnt * tsize;
	for (size_t i = 0; i < timecnt; i++) {
		z->types[i] = d[i];
		if (d[i] >= typecnt) {
			tz_free(z);
			return NULL;
		}
	}
	d += timecnt;
	for (size_t i = 0; i < typecnt; i++)
		z->offs[i] = (int32_t)be32(d + i * 6);
	d += data - (size_t)timecnt * (tsize + 1);
	/* The footer: "\n" POSIX-TZ-rule "\n" (version 2 and later). */
	if (version >= 2 && (size_t)(d - buf) < n && *d == '\n') {
		const unsigned char *e = memchr(d + 1, '\n', n - (size_t)(d + 1 - buf));
		if (e && e > d + 1 && e - d < 128) {
			char rule[128];
			memcpy(rule, d + 1, (size_t)(e - d - 1));
			rule[e - d - 1] = '\0';
			z->has_rule = parse_rule(rule, &z->rule);
		}
	}
	return z;
}

static bool zone_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 200 || name[0] == '/' || strstr(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
		      c == '_' || c == '-' || c == '+'))
			return false;
	}
	return true;
}

tz_zone *tz_load(const char *name)
{
	if (!zone_name_ok(name))
		return NULL;
	const char *dir = getenv("TZDIR");
	char path[512];
	if (snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name) >= (int)sizeof path)
		return NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	enum { MAX = 1 << 20 };
	unsigned char *buf = malloc(MAX);
	size_t n = buf ? fread(buf, 1, MAX, f) : 0;
	fclose(f);
	tz_zone *z = n > 0 && n < MAX ? parse_tzif(buf, n) : NULL;
	free(buf);
	return z;
}

tz_zone *tz_from_rule(const char *rule)
{
	tz_zone *z = calloc(1, sizeof *z);
	if (!z)
		return NULL;
	if (!rule || !parse_rule(rule, &z->rule)) {
		free(z);
		return NULL;
	}
	z->has_rule = true;
	return z;
}

int32_t tz_offset(const tz_zone *z, int64_t t)
{
	if (z->ntimes == 0)
		return z->has_rule ? rule_offset(&z->rule, t) : z->ntypes ? z->offs[0] : 0;
	if (t < z->times[0])
		return z->offs[0];
	if (t >= z->times[z->ntimes - 1] && z->has_rule)
		return rule_offset(&z->rule, t);
	size_t lo = 0, hi = z->ntimes; /* the last transition <= t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->offs[z->types[lo]];
}

void tz_local(const tz_zone *z, int64_t t, int *weekday, int *minute)
{
	int64_t local = t + tz_offset(z, t);
	int64_t days = floor_div(local, 86400);
	*weekday = (int)(((days % 7) + 7 + 4) % 7);
	*minute = (int)((local - days * 86400) / 60);
}
