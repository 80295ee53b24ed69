/* The reply check's concepts: which of them a folded sentence holds, and
 * how they combine into a verdict (the rules are listed in safety.h). */
#ifndef SERVER_REPLY_CONCEPTS_H
#define SERVER_REPLY_CONCEPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "server/safety/safety.h"

enum reply_concept {
	C_MEANS, C_AMOUNT, C_INSTRUCT, C_ENDING, C_APPROVE, C_ENDORSE, C_SECRECY, C_PROTECT, C_BENIGN, C_QUOTE,
	C_STASH, C_SUFFICE, C_PLAN, C_EFFICACY, C_FLOOR, C_DESERVE, C_REST, C_FOREVER, C_RELIEF, C_ABSENCE,
	C_YIELD, C_DECIDED, C_ESCALATE, C_LASTTIME, C_ACT, C_EVADE, C_BEYOND, C_INVITE, C_AFFAIRS, C_SELFHARM, C_EASE,
	C_NOMORE, C_UNFOUND, C_AGREE, C_HOPELESS, C_ACCRUE, C_COUNT
};

struct reply_term {
	char *text; /* folded, without the markers */
	size_t len;
	unsigned char concept;
	bool word_start, word_end;
};

/* The concept called name ("means", "stash"...), or -1. */
int reply_concept_index(const char *name);

/* How many terms of each concept the folded window w holds (win), and its
 * part from byte from on (cur): the sentence after the one before it. */
void reply_concepts_count(const safety *s, const char *w, size_t wlen, size_t from, unsigned cur[C_COUNT],
			  unsigned win[C_COUNT]);

/* The verdict on the sentence w[from..wlen) (folded), then on the whole
 * window w: the sentence with the one before it (from 0: none before). */
reply_verdict reply_concepts_judge(const safety *s, const char *w, size_t wlen, size_t from);

/* Joins letter-spaced words in s[0..n) (folded, spaces not yet made one):
 * in a run of three or more lone letters ("e n d   i t"), a single space
 * between two letters goes and a wider gap stays ("end   it"). The new
 * length; s is rewritten in place. */
size_t reply_unspace(char *s, size_t n);

#endif
