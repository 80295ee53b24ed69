/* The service's gate (see http_server_set_gate): API keys, scopes and the
 * per-key request rate, checked before a request's body is read. */
#include "server/gate.h"

#include <stdio.h>
#include <stdlib.h>

#include "server/app.h"
#include "server/util.h"

bool app_gate(http_req *r, const char *scope, void *ud)
{
	app *a = ud;
	if (!a->cfg->auth)
		return true;
	if (!a->access || !access_loaded(a->access)) {
		http_reply_error(r, ERR_NOT_READY, "The API keys are not loaded yet.",
				 json_pack("{s:s}", "reason", "keys_not_loaded"));
		http_req_add_header(r, "Retry-After", "1");
		return false;
	}
	access_principal *p = calloc(1, sizeof *p);
	if (!p) {
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return false;
	}
	unsigned retry = 0;
	switch (access_check(a->access, http_req_header(r, "Authorization"), scope, now_ns(), p, &retry)) {
	case ACCESS_OK:
		http_req_set_principal(r, p, p->prefix);
		return true;
	case ACCESS_NO_KEY:
		free(p);
		http_reply_error(r, ERR_UNAUTHORIZED, NULL, NULL);
		http_req_add_header(r, "WWW-Authenticate", "Bearer realm=\"culturecare\"");
		return false;
	case ACCESS_WRONG_SCOPE:
		free(p);
		http_reply_error(r, ERR_FORBIDDEN, NULL, json_pack("{s:s}", "required_scope", scope));
		return false;
	case ACCESS_RATE_LIMITED:
	default: {
		http_req_set_principal(r, p, p->prefix); /* the log names the key */
		char s[16];
		snprintf(s, sizeof s, "%u", retry);
		http_reply_error(r, ERR_RATE_LIMITED, "This API key made too many requests; retry after Retry-After seconds.",
				 json_pack("{s:i,s:i}", "limit_per_minute", (int)p->rpm, "retry_after_s", (int)retry));
		http_req_add_header(r, "Retry-After", s);
		return false;
	}
	}
}
