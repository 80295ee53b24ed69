/* One handler per operation, named by resource and method. */
#ifndef CC_HANDLERS_H
#define CC_HANDLERS_H
#include "server/http.h"

void handler_healthz_get(http_req *r);
void handler_readyz_get(http_req *r);
void handler_cultures_get(http_req *r);
void handler_culture_signals_get(http_req *r);
void handler_openapi_get(http_req *r);
void handler_ui_get(http_req *r);
void handler_support_post(http_req *r);
void handler_support_delete(http_req *r);
void handler_records_get(http_req *r);
void handler_chat_completions_post(http_req *r);
void handler_models_get(http_req *r);
void handler_metrics_get(http_req *r);
/* the annotation workflow */
void handler_candidates_post(http_req *r);
void handler_items_get(http_req *r);
void handler_item_get(http_req *r);
void handler_item_delete(http_req *r);
void handler_ratings_post(http_req *r);
void handler_preferences_post(http_req *r);
void handler_stats_get(http_req *r);
void handler_evaluations_post(http_req *r);
void handler_exports_get(http_req *r);
void handler_exports_label_studio_config_get(http_req *r);
void handler_exports_argilla_settings_get(http_req *r);
void handler_imports_label_studio_post(http_req *r);
void handler_label_studio_health_get(http_req *r);
void handler_label_studio_setup_post(http_req *r);
void handler_label_studio_predict_post(http_req *r);

#endif
