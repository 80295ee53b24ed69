/* Structured JSON logging to stdout, one line per call, through the
 * non-blocking sink while `serve` runs (server/log_sink.h). Single-threaded
 * use. */
#include "server/log.h"
#include "server/log_sink.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (name && strcmp(name, level_names[i]) == 0)
			min_level = (enum log_level)i;
}

int log_enabled(enum log_level level)
{
	return level >= min_level;
}

void log_json(enum log_level level, const char *msg, json_t *fields)
{
	if (!log_enabled(level)) {
		json_decref(fields);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[40];
	size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);

	json_t *o = json_object();
	json_object_set_new(o, "ts", json_string(when));
	json_object_set_new(o, "level", json_string(level_names[level]));
	json_object_set_new(o, "msg", json_string(msg));
	if (fields)
		json_object_update(o, fields);
	char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	size_t len = text ? strlen(text) : 0;
	char *line = text ? realloc(text, len + 2) : NULL;
	if (!line) {
		free(text);
	} else {
		line[len++] = '\n';
		line[len] = '\0';
		if (!log_sink_write(line, len)) {
			fputs(line, stdout);
			fflush(stdout);
		}
		free(line);
	}
	json_decref(o);
	json_decref(fields);
}

