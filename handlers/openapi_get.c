/* GET /openapi.yaml: the contract, compiled into the binary. */
#include "handlers/handlers.h"
#include "server/embedded.h"

void handler_openapi_get(http_req *r)
{
	const struct embedded_file *f = &embedded_openapi[0];
	http_reply_static(r, 200, "application/yaml", f->data, f->len);
}
