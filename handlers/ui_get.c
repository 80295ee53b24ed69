/* GET / and GET /ui/{file}: the web page and its assets (server/ui/),
 * compiled into the binary. No API key: the page asks for one. UI=off
 * answers 404. Every asset is served by the service itself, under a strict
 * Content-Security-Policy (no inline script or style, no other origin). */
#include <string.h>

#include "handlers/handlers.h"
#include "server/app.h"
#include "server/embedded.h"

#define UI_CSP                                                                                          \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "    \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static const char *content_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return "application/octet-stream";
	if (strcmp(dot, ".html") == 0)
		return "text/html; charset=utf-8";
	if (strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	return "application/octet-stream";
}

void handler_ui_get(http_req *r)
{
	const app *a = http_req_app(r);
	if (!a->cfg->ui) {
		http_reply_error(r, ERR_NOT_FOUND, NULL, NULL);
		return;
	}
	const char *pattern = http_req_route(r);
	const char *name = pattern && strcmp(pattern, "/") == 0 ? "index.html" : http_req_param(r, 0);
	for (const struct embedded_file *f = embedded_ui; f->name; f++) {
		if (strcmp(f->name, name) != 0)
			continue;
		http_req_add_header(r, "Content-Security-Policy", UI_CSP);
		http_req_add_header(r, "X-Content-Type-Options", "nosniff");
		http_req_add_header(r, "Referrer-Policy", "no-referrer");
		http_req_add_header(r, "Cache-Control", "no-cache");
		http_reply_static(r, 200, content_type(f->name), f->data, f->len);
		return;
	}
	http_reply_error(r, ERR_NOT_FOUND, NULL, NULL);
}
