/* The check of API keys, scopes and rates before a request's body is read;
 * ud is the app. See http_server_set_gate. */
#ifndef CC_GATE_H
#define CC_GATE_H
#include <stdbool.h>

#include "server/http.h"

bool app_gate(http_req *r, const char *scope, void *ud);

#endif
