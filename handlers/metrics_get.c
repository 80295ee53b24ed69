/* GET /metrics: the Prometheus text exposition of server/metrics.c, with
 * the database pool read at scrape time. */
#include "handlers/handlers.h"
#include "server/app.h"
#include "server/metrics.h"

void handler_metrics_get(http_req *r)
{
	app *a = http_req_app(r);
	store_pool_stats ps = {0};
	if (a->pool)
		store_pool_stats_get(a->pool, &ps);
	metrics_pool mp = {.open = a->pool != NULL, .size = a->pool ? ps.size : a->cfg->db_pool_size,
			   .connected = ps.connected, .busy = ps.busy, .waiting = ps.waiting};
	size_t len;
	char *text = metrics_render(&mp, &len);
	if (!text) {
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	http_reply_buffer(r, 200, METRICS_CONTENT_TYPE, text, len);
}
