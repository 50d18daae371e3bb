#include "collectors/postgres/bloat.h"

#include <algorithm>

#include "collectors/postgres/tables.h"

namespace thoth::postgres {

// Both estimates follow ioguix/pgsql-bloat-estimation (BSD licence): the expected size of the
// relation is derived from the row count, the average width and null fraction of each column
// and the page layout; whatever the relation occupies beyond that (at its fillfactor) is bloat.

std::string TableBloatSql(const std::vector<std::string>& relids) {
  return "SELECT schemaname, tblname AS relname, (bs * tblpages)::float8 AS real_size, "
         "CASE WHEN tblpages - est_tblpages_ff > 0 THEN ((tblpages - est_tblpages_ff) * bs) "
         "ELSE 0 END::float8 AS bloat_size, "
         "CASE WHEN tblpages > 0 AND tblpages - est_tblpages_ff > 0 "
         "THEN (tblpages - est_tblpages_ff) / tblpages::float8 ELSE 0 END AS bloat_ratio, is_na "
         "FROM (SELECT ceil(reltuples / ((bs - page_hdr) * fillfactor / (tpl_size * 100))) "
         "+ ceil(toasttuples / 4) AS est_tblpages_ff, tblpages, bs, schemaname, tblname, is_na "
         "FROM (SELECT (4 + tpl_hdr_size + tpl_data_size + (2 * ma) "
         "- CASE WHEN tpl_hdr_size % ma = 0 THEN ma ELSE tpl_hdr_size % ma END "
         "- CASE WHEN ceil(tpl_data_size)::int % ma = 0 THEN ma "
         "ELSE ceil(tpl_data_size)::int % ma END) AS tpl_size, "
         "(heappages + toastpages) AS tblpages, reltuples, toasttuples, bs, page_hdr, "
         "schemaname, tblname, fillfactor, is_na "
         "FROM (SELECT tbl.oid AS tblid, ns.nspname AS schemaname, tbl.relname AS tblname, "
         "GREATEST(tbl.reltuples, 0) AS reltuples, tbl.relpages AS heappages, "
         "COALESCE(toast.relpages, 0) AS toastpages, "
         "COALESCE(GREATEST(toast.reltuples, 0), 0) AS toasttuples, "
         "COALESCE(substring(array_to_string(tbl.reloptions, ' ') "
         "FROM 'fillfactor=([0-9]+)')::smallint, 100) AS fillfactor, "
         "current_setting('block_size')::numeric AS bs, "
         "CASE WHEN version() ~ 'mingw32' OR version() ~ '64-bit|x86_64|ppc64|ia64|amd64' "
         "THEN 8 ELSE 4 END AS ma, 24 AS page_hdr, "
         "23 + CASE WHEN max(COALESCE(s.null_frac, 0)) > 0 THEN (7 + count(s.attname)) / 8 "
         "ELSE 0::int END AS tpl_hdr_size, "
         "sum((1 - COALESCE(s.null_frac, 0)) * COALESCE(s.avg_width, 0)) AS tpl_data_size, "
         "bool_or(att.atttypid = 'pg_catalog.name'::regtype) "
         "OR sum(CASE WHEN att.attnum > 0 THEN 1 ELSE 0 END) <> count(s.attname) AS is_na "
         "FROM pg_catalog.pg_attribute att "
         "JOIN pg_catalog.pg_class tbl ON att.attrelid = tbl.oid "
         "JOIN pg_catalog.pg_namespace ns ON ns.oid = tbl.relnamespace "
         "LEFT JOIN pg_catalog.pg_stats s ON s.schemaname = ns.nspname "
         "AND s.tablename = tbl.relname AND NOT s.inherited AND s.attname = att.attname "
         "LEFT JOIN pg_catalog.pg_class toast ON tbl.reltoastrelid = toast.oid "
         "WHERE NOT att.attisdropped AND att.attnum > 0 AND tbl.relkind IN ('r', 'm') "
         "AND tbl.oid = ANY(" +
         OidArray(relids) +
         ") GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) AS s1) AS s2) AS s3 "
         "ORDER BY schemaname, tblname";
}

std::string IndexBloatSql(const std::vector<std::string>& relids) {
  return "SELECT nspname AS schemaname, tblname AS relname, idxname AS indexrelname, "
         "(bs * relpages)::float8 AS real_size, "
         "CASE WHEN relpages > est_pages_ff THEN (bs * (relpages - est_pages_ff)) ELSE 0 "
         "END::float8 AS bloat_size, "
         "CASE WHEN relpages > est_pages_ff "
         "THEN (relpages - est_pages_ff)::float8 / relpages ELSE 0 END AS bloat_ratio, "
         "is_na OR est_pages_ff IS NULL AS is_na "
         "FROM (SELECT 1 + ceil(reltuples / NULLIF(floor((bs - pageopqdata - pagehdr) "
         "* fillfactor / (100 * (4 + nulldatahdrwidth)::float8)), 0)) AS est_pages_ff, "
         "bs, nspname, tblname, idxname, relpages, is_na "
         "FROM (SELECT maxalign, bs, nspname, tblname, idxname, reltuples, relpages, fillfactor, "
         "(index_tuple_hdr_bm + maxalign - CASE WHEN index_tuple_hdr_bm % maxalign = 0 "
         "THEN maxalign ELSE index_tuple_hdr_bm % maxalign END + nulldatawidth + maxalign "
         "- CASE WHEN nulldatawidth = 0 THEN 0 WHEN nulldatawidth::integer % maxalign = 0 "
         "THEN maxalign ELSE nulldatawidth::integer % maxalign END)::numeric "
         "AS nulldatahdrwidth, pagehdr, pageopqdata, is_na "
         "FROM (SELECT n.nspname, i.tblname, i.idxname, i.reltuples, i.relpages, i.idxoid, "
         "i.fillfactor, current_setting('block_size')::numeric AS bs, "
         "CASE WHEN version() ~ 'mingw32' OR version() ~ '64-bit|x86_64|ppc64|ia64|amd64' "
         "THEN 8 ELSE 4 END AS maxalign, 24 AS pagehdr, 16 AS pageopqdata, "
         "CASE WHEN max(COALESCE(s.null_frac, 0)) = 0 THEN 8 ELSE 8 + ((32 + 8 - 1) / 8) END "
         "AS index_tuple_hdr_bm, "
         "sum((1 - COALESCE(s.null_frac, 0)) * COALESCE(s.avg_width, 1024)) AS nulldatawidth, "
         "max(CASE WHEN i.atttypid = 'pg_catalog.name'::regtype THEN 1 ELSE 0 END) > 0 AS is_na "
         "FROM (SELECT ct.relname AS tblname, ct.relnamespace, ic.idxname, ic.attpos, "
         "ic.reltuples, ic.relpages, ic.tbloid, ic.idxoid, ic.fillfactor, "
         "COALESCE(a1.attnum, a2.attnum) AS attnum, COALESCE(a1.attname, a2.attname) AS attname, "
         "COALESCE(a1.atttypid, a2.atttypid) AS atttypid, "
         "CASE WHEN a1.attnum IS NULL THEN ic.idxname ELSE ct.relname END AS attrelname "
         "FROM (SELECT idxname, reltuples, relpages, tbloid, idxoid, fillfactor, indkey, "
         "pg_catalog.generate_series(1, indnatts) AS attpos "
         "FROM (SELECT ci.relname AS idxname, GREATEST(ci.reltuples, 0) AS reltuples, "
         "ci.relpages, i.indrelid AS tbloid, i.indexrelid AS idxoid, "
         "COALESCE(substring(array_to_string(ci.reloptions, ' ') "
         "FROM 'fillfactor=([0-9]+)')::smallint, 90) AS fillfactor, i.indnatts, "
         "pg_catalog.string_to_array(pg_catalog.textin(pg_catalog.int2vectorout(i.indkey)), "
         "' ')::int[] AS indkey FROM pg_catalog.pg_index i "
         "JOIN pg_catalog.pg_class ci ON ci.oid = i.indexrelid "
         "WHERE ci.relam = (SELECT oid FROM pg_catalog.pg_am WHERE amname = 'btree') "
         "AND ci.relpages > 0 AND i.indrelid = ANY(" +
         OidArray(relids) +
         ")) AS idx_data) AS ic "
         "JOIN pg_catalog.pg_class ct ON ct.oid = ic.tbloid "
         "LEFT JOIN pg_catalog.pg_attribute a1 ON ic.indkey[ic.attpos] <> 0 "
         "AND a1.attrelid = ic.tbloid AND a1.attnum = ic.indkey[ic.attpos] "
         "LEFT JOIN pg_catalog.pg_attribute a2 ON ic.indkey[ic.attpos] = 0 "
         "AND a2.attrelid = ic.idxoid AND a2.attnum = ic.attpos) i "
         "JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace "
         "JOIN pg_catalog.pg_stats s ON s.schemaname = n.nspname "
         "AND s.tablename = i.attrelname AND s.attname = i.attname "
         "GROUP BY 1, 2, 3, 4, 5, 6, 7) AS rows_data_stats) AS rows_hdr_pdg_stats) AS rel_stats "
         "ORDER BY nspname, tblname, idxname";
}

std::string PgstattupleSchemaSql() {
  return "SELECT quote_ident(n.nspname) AS schema FROM pg_catalog.pg_extension e "
         "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
         "WHERE e.extname = 'pgstattuple' AND (SELECT count(*) FROM pg_catalog.pg_proc p "
         "WHERE p.pronamespace = n.oid AND p.proname IN ('pgstattuple_approx', 'pgstatindex') "
         "AND has_function_privilege(p.oid, 'EXECUTE')) >= 2";
}

std::string TableBloatApproxSql(const std::string& schema, const std::vector<std::string>& relids) {
  // Free space beyond what the fillfactor keeps free on purpose, plus dead tuples.
  const std::string bloat =
      "GREATEST(0, a.approx_free_space + a.dead_tuple_len - a.table_len * (100 - f.ff) / 100.0)";
  return "SELECT n.nspname AS schemaname, c.relname, a.table_len::float8 AS real_size, " + bloat +
         "::float8 AS bloat_size, CASE WHEN a.table_len > 0 THEN " + bloat +
         " / a.table_len ELSE 0 END::float8 AS bloat_ratio, false AS is_na "
         "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
         "CROSS JOIN LATERAL (SELECT COALESCE(substring(array_to_string(c.reloptions, ' ') "
         "FROM 'fillfactor=([0-9]+)')::int, 100) AS ff) f "
         "CROSS JOIN LATERAL " +
         schema +
         ".pgstattuple_approx(c.oid::regclass) a "
         "WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't' AND c.oid = ANY(" +
         OidArray(relids) + ") ORDER BY n.nspname, c.relname";
}

std::string IndexBloatPgstatindexSql(const std::string& schema,
                                     const std::vector<std::string>& relids) {
  // Leaf pages are filled to the fillfactor (90 for b-trees) when built; what is missing from
  // that density is bloat.
  return "SELECT n.nspname AS schemaname, t.relname, i.relname AS indexrelname, "
         "s.index_size::float8 AS real_size, (s.index_size * r.ratio)::float8 AS bloat_size, "
         "r.ratio AS bloat_ratio, false AS is_na "
         "FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
         "JOIN pg_catalog.pg_class t ON t.oid = x.indrelid "
         "JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
         "JOIN pg_catalog.pg_am am ON am.oid = i.relam AND am.amname = 'btree' "
         "CROSS JOIN LATERAL " +
         schema +
         ".pgstatindex(i.oid::regclass) s "
         "CROSS JOIN LATERAL (SELECT CASE WHEN s.leaf_pages > 0 AND s.avg_leaf_density <> "
         "'NaN' THEN GREATEST(0, 1 - s.avg_leaf_density / COALESCE(substring(array_to_string("
         "i.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::float8, 90)) ELSE 0 END::float8 "
         "AS ratio) r "
         "WHERE i.relkind = 'i' AND x.indisvalid AND t.relpersistence <> 't' AND x.indrelid = "
         "ANY(" +
         OidArray(relids) + ") ORDER BY n.nspname, t.relname, i.relname";
}

void EmitBloatMethod(const std::string& method, const std::string& datname, MetricSink& sink) {
  sink.Gauge("pg_bloat_method_info",
             "How the bloat figures of the database are obtained: pgstattuple "
             "(pgstattuple_approx and pgstatindex on the largest bloat.tables tables) or estimate "
             "(statistics of the catalogs); always 1",
             {{"datname", datname}, {"method", method}}, 1);
}

namespace {

double Ratio(double r) { return std::clamp(r, 0.0, 1.0); }

}  // namespace

int EmitTableBloat(const QueryResult& rows, const std::string& datname, MetricSink& sink) {
  int unknown = 0;
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const auto& schema = rows.Get(i, "schemaname");
    const auto& rel = rows.Get(i, "relname");
    auto bytes = ParseNumber(rows.Get(i, "bloat_size"));
    auto ratio = ParseNumber(rows.Get(i, "bloat_ratio"));
    auto na = ParseNumber(rows.Get(i, "is_na"));
    if (!schema || !rel) continue;
    if (!bytes || !ratio || !na || *na != 0) {
      ++unknown;
      continue;
    }
    const Labels labels = {{"datname", datname}, {"schemaname", *schema}, {"relname", *rel}};
    sink.Gauge("pg_table_bloat_bytes",
               "Bloat of the table in bytes (pgstattuple_approx, or a statistical estimate from "
               "the catalogs: see pg_bloat_method_info; cached for bloat.ttl)",
               labels, std::max(0.0, *bytes));
    sink.Gauge("pg_table_bloat_ratio",
               "Bloat as a share of the table's size, 0-1 (pgstattuple_approx or statistical "
               "estimate; cached for bloat.ttl)",
               labels, Ratio(*ratio));
  }
  return unknown;
}

void EmitIndexBloat(const QueryResult& rows, const std::string& datname, MetricSink& sink) {
  for (size_t i = 0; i < rows.rows.size(); ++i) {
    const auto& schema = rows.Get(i, "schemaname");
    const auto& rel = rows.Get(i, "relname");
    const auto& index = rows.Get(i, "indexrelname");
    auto bytes = ParseNumber(rows.Get(i, "bloat_size"));
    auto ratio = ParseNumber(rows.Get(i, "bloat_ratio"));
    auto na = ParseNumber(rows.Get(i, "is_na"));
    if (!schema || !rel || !index || !bytes || !ratio || (na && *na != 0)) continue;
    const Labels labels = {
        {"datname", datname}, {"schemaname", *schema}, {"relname", *rel}, {"indexrelname", *index}};
    sink.Gauge("pg_index_bloat_bytes",
               "Bloat of the b-tree index in bytes (pgstatindex, or a statistical estimate from "
               "the catalogs: see pg_bloat_method_info; cached for bloat.ttl)",
               labels, std::max(0.0, *bytes));
    sink.Gauge("pg_index_bloat_ratio",
               "Bloat as a share of the index's size, 0-1 (pgstatindex or statistical estimate; "
               "cached for bloat.ttl)",
               labels, Ratio(*ratio));
  }
}

}  // namespace thoth::postgres
