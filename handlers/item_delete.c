/* DELETE /items/{id}: erases an item with its candidates, ratings,
 * preferences and judge scores (one cascade) given its deletion token in
 * X-Deletion-Token (handlers/delete_by_token.h). */
#include "handlers/delete_by_token.h"
#include "handlers/handlers.h"
#include "store/annotation.h"

void handler_item_delete(http_req *r)
{
	delete_by_token(r, store_item_delete, "No stored item has this id and deletion token.");
}
