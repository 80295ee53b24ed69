/* Gives the heap's free pages back to the system after a burst. glibc keeps
 * what a burst of connections freed (resident memory would stay at the
 * peak); once a second this looks at the resident memory that the heap does
 * not use and, when it grew by more than MEMTRIM_SLACK since the last look
 * that trimmed, calls malloc_trim. Also caps glibc's arenas at two (the loop
 * thread allocates nearly everything; the few other threads need no arena
 * each) and maps buffers of 128 KiB and more on their own. Does nothing
 * without glibc. */
#ifndef CC_MEMTRIM_H
#define CC_MEMTRIM_H
#include <stddef.h>
#include <uv.h>

#define MEMTRIM_SLACK ((size_t)4 << 20)

typedef struct memtrim {
	uv_timer_t timer;
	size_t unused_base; /* resident bytes the heap did not use after the last trim */
} memtrim;

/* Caps the arenas: call before any thread starts. */
void memtrim_setup(void);
void memtrim_start(memtrim *m, uv_loop_t *loop);
void memtrim_stop(memtrim *m);
/* Closes the timer (stopped or not). */
void memtrim_close(memtrim *m);

#endif
