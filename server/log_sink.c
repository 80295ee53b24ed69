/* The non-blocking writer of the log lines (see log_sink.h). */
#include "server/log_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/util.h"

static struct {
	bool running;
	int fd;          /* our own non-blocking description of stdout */
	bool socket;     /* fd is a socket: written with MSG_DONTWAIT instead */
	uv_poll_t *poll; /* watching fd while buf holds bytes */
	bool watching;
	char *buf;
	size_t len;
	unsigned long long dropped;
} sink = {.fd = -1};

unsigned long long log_sink_dropped(void)
{
	return sink.dropped;
}

/* Lines (their \n) in what is buffered: what dropping it loses. */
static unsigned long long buffered_lines(void)
{
	unsigned long long n = 0;
	for (const char *p = sink.buf, *end = sink.buf + sink.len; p < end && (p = memchr(p, '\n', (size_t)(end - p)));
	     p++)
		n++;
	return n;
}

/* One write that never blocks. */
static ssize_t out(const char *b, size_t n)
{
	ssize_t r;
	do
		r = sink.socket ? send(sink.fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL) : write(sink.fd, b, n);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Writes from the buffer's start what fd takes now. -1 on an error other
 * than "would block" (the buffer is then dropped: stdout is gone). */
static int drain(void)
{
	while (sink.len > 0) {
		ssize_t n = out(sink.buf, sink.len);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) { /* stdout is gone: what waits is lost */
			sink.dropped += buffered_lines();
			sink.len = 0;
			return -1;
		}
		memmove(sink.buf, sink.buf + n, sink.len - (size_t)n);
		sink.len -= (size_t)n;
	}
	return 0;
}

static void on_writable(uv_poll_t *h, int status, int events);

static void watch(bool on)
{
	if (on == sink.watching || !sink.poll)
		return;
	sink.watching = on;
	if (on)
		uv_poll_start(sink.poll, UV_WRITABLE, on_writable);
	else
		uv_poll_stop(sink.poll);
}

static void on_writable(uv_poll_t *h, int status, int events)
{
	drain();
	watch(sink.len > 0);
}

bool log_sink_write(const char *line, size_t len)
{
	if (!sink.running)
		return false;
	if (sink.len == 0) {
		ssize_t n = out(line, len);
		if (n == (ssize_t)len)
			return true;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			sink.dropped++; /* stdout is gone: nothing to wait for */
			return true;
		}
		if (n > 0) { /* the rest of a line is never dropped */
			line += n;
			len -= (size_t)n;
			memcpy(sink.buf, line, len < LOG_BUFFER_BYTES ? len : LOG_BUFFER_BYTES);
			sink.len = len < LOG_BUFFER_BYTES ? len : LOG_BUFFER_BYTES;
			watch(true);
			return true;
		}
	}
	if (sink.len + len > LOG_BUFFER_BYTES) {
		sink.dropped++;
		return true;
	}
	memcpy(sink.buf + sink.len, line, len);
	sink.len += len;
	watch(true);
	return true;
}

/* A description of stdout of our own, non-blocking; -1 when stdout is a
 * regular file, a pipe without a reader or none. A socket (the journal's
 * stdout) cannot be reopened: a duplicate is written with MSG_DONTWAIT,
 * leaving the flags of the description it shares with fd 1 alone. */
static int open_own(bool *socket)
{
	struct stat st;
	*socket = false;
	if (fstat(STDOUT_FILENO, &st) != 0 || S_ISREG(st.st_mode))
		return -1;
	if (S_ISSOCK(st.st_mode)) {
		*socket = true;
		return fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	}
	return open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_APPEND);
}

int log_sink_start(uv_loop_t *loop)
{
	if (sink.running)
		return 0;
	bool socket;
	int fd = open_own(&socket);
	if (fd < 0)
		return -1;
	sink.buf = malloc(LOG_BUFFER_BYTES);
	sink.poll = malloc(sizeof *sink.poll);
	if (!sink.buf || !sink.poll || uv_poll_init(loop, sink.poll, fd) != 0) {
		free(sink.buf);
		free(sink.poll);
		sink.buf = NULL;
		sink.poll = NULL;
		close(fd);
		return -1;
	}
	fflush(stdout); /* what was written before stays first */
	sink.fd = fd;
	sink.socket = socket;
	sink.len = 0;
	sink.watching = false;
	sink.running = true;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	free(h);
}

void log_sink_stop(unsigned timeout_ms)
{
	if (!sink.running)
		return;
	watch(false);
	uv_close((uv_handle_t *)sink.poll, on_closed);
	sink.poll = NULL;
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000u;
	while (sink.len > 0 && drain() == 0 && sink.len > 0) {
		uint64_t now = now_ns();
		if (now >= end)
			break;
		struct pollfd p = {.fd = sink.fd, .events = POLLOUT};
		poll(&p, 1, (int)((end - now) / 1000000u) + 1);
	}
	sink.dropped += buffered_lines(); /* what did not make it out in time */
	sink.running = false;
	close(sink.fd);
	sink.fd = -1;
	free(sink.buf);
	sink.buf = NULL;
	sink.len = 0;
}
