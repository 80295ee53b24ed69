/* The corpus from the database into a new in-memory lexicon. */
#ifndef CC_SUPPORT_CORPUS_LOAD_H
#define CC_SUPPORT_CORPUS_LOAD_H
#include "server/support/lexicon.h"
#include "store/store.h"

/* lex: one reference handed over, or NULL when loading failed. */
typedef void (*corpus_load_cb)(void *ud, lexicon *lex);
/* Returns 0 and calls cb once later, or -1 and never calls it. */
int corpus_load_start(store_pool *p, corpus_load_cb cb, void *ud);

#endif
