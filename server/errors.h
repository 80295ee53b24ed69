/* The error registry: every error reply of the service names one of these. */
#ifndef CC_ERRORS_H
#define CC_ERRORS_H

typedef enum err_code {
	ERR_NOT_FOUND,
	ERR_METHOD_NOT_ALLOWED,
	ERR_UNKNOWN_CULTURE,
	ERR_INVALID_FIELD,
	ERR_MALFORMED_JSON,
	ERR_BODY_TOO_LARGE,
	ERR_UNSUPPORTED_MEDIA_TYPE,
	ERR_NOT_READY,
	ERR_DATABASE_UNAVAILABLE,
	ERR_INTERNAL,
	ERR_RATE_LIMITED,
	ERR_BACKEND_FAILED,
	ERR_BACKEND_TIMEOUT,
	ERR_UNAUTHORIZED,
	ERR_FORBIDDEN,
	ERR_ORIGIN_NOT_ALLOWED,
	ERR_OVERLOADED,
	ERR_TOO_MANY_CONNECTIONS,
	ERR_REQUEST_TIMEOUT,
	ERR_STORAGE_DISABLED,
	ERR__COUNT
} err_code;

typedef struct err_info {
	const char *name;    /* stable machine-readable code, e.g. "unknown_culture" */
	unsigned status;     /* HTTP status */
	const char *message; /* default human-readable message */
} err_info;

const err_info *err_lookup(err_code code);

#endif
