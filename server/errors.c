/* The error registry (name, HTTP status, default message). The OpenAPI
 * contract lists the same names; tests/http checks they agree. */
#include "server/errors.h"

static const err_info registry[ERR__COUNT] = {
	[ERR_NOT_FOUND] = {"not_found", 404, "No such resource."},
	[ERR_METHOD_NOT_ALLOWED] = {"method_not_allowed", 405, "Method not allowed on this resource."},
	[ERR_UNKNOWN_CULTURE] = {"unknown_culture", 404, "Unknown culture."},
	[ERR_INVALID_FIELD] = {"invalid_field", 422, "A field has an invalid value."},
	[ERR_MALFORMED_JSON] = {"malformed_json", 400, "The request body is not valid JSON."},
	[ERR_BODY_TOO_LARGE] = {"body_too_large", 413, "The request body is too large."},
	[ERR_UNSUPPORTED_MEDIA_TYPE] = {"unsupported_media_type", 415, "Content-Type must be application/json."},
	[ERR_NOT_READY] = {"not_ready", 503, "The service is not ready."},
	[ERR_DATABASE_UNAVAILABLE] = {"database_unavailable", 503, "The database is unavailable."},
	[ERR_INTERNAL] = {"internal", 500, "Internal error."},
	[ERR_RATE_LIMITED] = {"rate_limited", 429, "Too many requests."},
	[ERR_BACKEND_FAILED] = {"backend_failed", 502, "The model backend failed."},
	[ERR_BACKEND_TIMEOUT] = {"backend_timeout", 504, "The model backend timed out."},
	[ERR_UNAUTHORIZED] = {"unauthorized", 401, "A valid API key is required: Authorization: Bearer <key>."},
	[ERR_FORBIDDEN] = {"forbidden", 403, "This API key lacks the scope this operation needs."},
	[ERR_ORIGIN_NOT_ALLOWED] = {"origin_not_allowed", 403, "This origin may not call the service from a browser."},
	[ERR_OVERLOADED] = {"overloaded", 503, "Too many replies are being written right now; retry shortly."},
	[ERR_TOO_MANY_CONNECTIONS] = {"too_many_connections", 429, "Too many open connections from this address."},
	[ERR_REQUEST_TIMEOUT] = {"request_timeout", 408, "The request took too long to arrive."},
	[ERR_STORAGE_DISABLED] = {"storage_disabled", 409, "Storing is off (STORE_MESSAGES): this operation keeps what it makes for rating."},
};

const err_info *err_lookup(err_code code)
{
	if ((unsigned)code >= ERR__COUNT)
		code = ERR_INTERNAL;
	return &registry[code];
}
