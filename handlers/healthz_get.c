/* GET /healthz: the process is alive (no database check). */
#include "handlers/handlers.h"

void handler_healthz_get(http_req *r)
{
	http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}
