/* The cultures with their aliases and corpus counts (GET /cultures). */
#include "store/store.h"

const store_stmt store_stmt_cultures_list = {
	"cultures_list",
	"WITH post_counts AS ("
	"  SELECT p.culture,"
	"         count(DISTINCT p.id) AS posts"
	"  FROM posts p GROUP BY p.culture),"
	" distress AS (SELECT p.culture, count(*) AS n FROM distress_phrases d"
	"  JOIN posts p ON p.id = d.post_id GROUP BY p.culture),"
	" signals AS (SELECT p.culture, count(*) FILTER (WHERE s.side = 'post') AS post_n,"
	"  count(*) FILTER (WHERE s.side = 'response') AS response_n FROM cultural_signals s"
	"  JOIN posts p ON p.id = s.post_id GROUP BY p.culture),"
	" support AS (SELECT p.culture, count(*) AS n FROM support_phrases sp"
	"  JOIN posts p ON p.id = sp.post_id GROUP BY p.culture),"
	" strategies AS (SELECT x.culture, json_agg(json_build_object('strategy', x.strategy, 'count', x.n)"
	"  ORDER BY x.n DESC, x.strategy) AS list FROM (SELECT p.culture, sp.strategy::text AS strategy,"
	"  count(*) AS n FROM support_phrases sp JOIN posts p ON p.id = sp.post_id"
	"  WHERE sp.strategy IS NOT NULL GROUP BY p.culture, sp.strategy) x GROUP BY x.culture)"
	" SELECT coalesce(json_agg(json_build_object("
	"  'code', c.code, 'display_name', c.display_name,"
	"  'aliases', coalesce((SELECT json_agg(a.alias ORDER BY a.alias) FROM culture_aliases a"
	"                       WHERE a.culture_code = c.code), '[]'::json),"
	"  'counts', json_build_object('posts', coalesce(pc.posts, 0), 'distress_phrases', coalesce(d.n, 0),"
	"   'post_signals', coalesce(s.post_n, 0), 'response_signals', coalesce(s.response_n, 0),"
	"   'support_phrases', coalesce(sp.n, 0)),"
	"  'strategies', coalesce(st.list, '[]'::json)) ORDER BY c.code), '[]'::json)"
	" FROM cultures c"
	" LEFT JOIN post_counts pc ON pc.culture = c.code"
	" LEFT JOIN distress d ON d.culture = c.code"
	" LEFT JOIN signals s ON s.culture = c.code"
	" LEFT JOIN support sp ON sp.culture = c.code"
	" LEFT JOIN strategies st ON st.culture = c.code",
};

int store_cultures_list(store_pool *p, store_json_cb cb, void *ud)
{
	return store_json_query(p, &store_stmt_cultures_list, 0, NULL, cb, ud);
}
