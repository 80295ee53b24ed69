/* Where `serve` writes its log lines: stdout without ever blocking the
 * loop. A line is written at once when stdout takes it; what it does not
 * take waits in a bounded buffer (LOG_BUFFER_BYTES) written out as stdout
 * becomes writable; a line that would overflow the buffer is dropped and
 * counted (culturecare_log_lines_dropped_total), never half-written.
 * Before log_sink_start and after log_sink_stop, lines are written directly
 * (blocking), so start-up and exit messages always come out.
 * Loop thread only. */
#ifndef CC_LOG_SINK_H
#define CC_LOG_SINK_H
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define LOG_BUFFER_BYTES (1024 * 1024)

/* Starts writing stdout from loop. A regular file keeps being written
 * directly (its writes go to the page cache and a poll cannot wait on it);
 * a pipe, socket or terminal is written through a non-blocking file
 * description of its own (fd 1, and stderr sharing it, stay blocking for
 * everything else). Returns 0, or -1 (lines are then written directly). */
int log_sink_start(uv_loop_t *loop);

/* Writes what is buffered, waiting up to timeout_ms for stdout, then stops
 * (what is still left is dropped and counted); closes the loop's handle.
 * Call it before the loop's last run. Does nothing when not started. */
void log_sink_stop(unsigned timeout_ms);

/* Takes one line (with its \n). Returns false when the sink is not
 * running: the caller writes the line itself. */
bool log_sink_write(const char *line, size_t len);

/* Lines dropped because the buffer was full, since start. */
unsigned long long log_sink_dropped(void);

#endif
