#include "server/memtrim.h"

#include <stdio.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* Resident bytes not in use by the heap: VmRSS minus what malloc hands out
 * (small chunks and mmapped large ones); the code, the libraries and the
 * stacks make a constant part of it. 0 when it cannot be read. */
static size_t unused_resident(void)
{
#ifdef __GLIBC__
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size, resident;
	if (!f)
		return 0;
	int n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	if (n != 2)
		return 0;
	struct mallinfo2 mi = mallinfo2();
	size_t rss = (size_t)resident * (size_t)sysconf(_SC_PAGESIZE), used = mi.uordblks + mi.hblkhd;
	return rss > used ? rss - used : 0;
#else
	return 0;
#endif
}

static void on_tick(uv_timer_t *t)
{
	memtrim *m = t->data;
	size_t unused = unused_resident();
	if (unused > m->unused_base + MEMTRIM_SLACK) {
#ifdef __GLIBC__
		malloc_trim(0);
#endif
		unused = unused_resident();
	}
	/* What could not be given back (pages partly in use) is the new base,
	 * so that it is not tried again every second; freed pages lower it. */
	if (unused < m->unused_base || unused > m->unused_base + MEMTRIM_SLACK)
		m->unused_base = unused;
}

void memtrim_setup(void)
{
#ifdef __GLIBC__
	mallopt(M_ARENA_MAX, 2);
	/* Buffers of 128 KiB and more (replies, streams' text, big bodies) are
	 * mapped and unmapped on their own. glibc would otherwise raise this
	 * threshold after the first such free, and later big buffers would
	 * come from the heap, which keeps what it grew to: after a few 8 MiB
	 * replies the process would stay megabytes above idle. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

void memtrim_start(memtrim *m, uv_loop_t *loop)
{
	uv_timer_init(loop, &m->timer);
	m->timer.data = m;
	m->unused_base = unused_resident();
	uv_timer_start(&m->timer, on_tick, 1000, 1000);
}

void memtrim_stop(memtrim *m)
{
	uv_timer_stop(&m->timer);
}

void memtrim_close(memtrim *m)
{
	uv_close((uv_handle_t *)&m->timer, NULL);
}
