/* Time zones without the process-wide TZ: a zone is read once from the
 * system's tz database (TZif files under $TZDIR or /usr/share/zoneinfo,
 * RFC 8536) into an immutable struct, and the UTC offset at any instant is
 * then a pure lookup (the file's transitions, and its POSIX TZ rule for
 * instants past the last one). setenv("TZ") + localtime_r would change the
 * zone of every thread at once; this keeps one struct per zone instead.
 * Leap-second corrections ("right/" zones) are ignored. A loaded zone may
 * be read from any thread. */
#ifndef CC_TZ_H
#define CC_TZ_H
#include <stdbool.h>
#include <stdint.h>

typedef struct tz_zone tz_zone;

/* Loads an IANA zone by name ("Europe/Berlin"). NULL when the name is not
 * a plain zone name (no "..", no leading '/'), the file is missing or is
 * not a valid TZif file. Free with tz_free. */
tz_zone *tz_load(const char *name);

/* A zone from a POSIX TZ rule alone ("CET-1CEST,M3.5.0,M10.5.0/3"), as in
 * the footer of a TZif file. NULL when the rule does not parse. */
tz_zone *tz_from_rule(const char *rule);

void tz_free(tz_zone *z);

/* Seconds east of UTC in zone z at the instant t (seconds since the epoch,
 * UTC). */
int32_t tz_offset(const tz_zone *z, int64_t t);

/* The local weekday (0 = Sunday) and minute of the day (0..1439) at t. */
void tz_local(const tz_zone *z, int64_t t, int *weekday, int *minute);

#endif
