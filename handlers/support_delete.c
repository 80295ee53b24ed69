/* DELETE /support/{id}: erases a stored reply (message, reply and
 * annotations: one row) given its deletion token in X-Deletion-Token
 * (handlers/delete_by_token.h). */
#include "handlers/delete_by_token.h"
#include "handlers/handlers.h"

void handler_support_delete(http_req *r)
{
	delete_by_token(r, store_record_delete, "No stored reply has this id and deletion token.");
}
