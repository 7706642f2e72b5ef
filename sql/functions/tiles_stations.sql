-- Station tiles: one point per site with the status aggregated over its connectors
-- (the station_summary view, the one definition of a station's status shared with the
-- stations API and the live events), grid-clustered below zoom 11. Filters are bound parameters (NULL = no filter).
-- Installed by migration 0006.

CREATE OR REPLACE FUNCTION quvvat_tile_stations(
  z integer, x integer, y integer,
  statuses text[] DEFAULT NULL,
  connector text DEFAULT NULL,
  min_power_kw double precision DEFAULT NULL,
  operator_name text DEFAULT NULL,
  region_iso text DEFAULT NULL,
  q text DEFAULT NULL)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  s AS (
    SELECT si.id, si.ext_id, si.name, si.city, si.source,
      o.name AS operator, r.iso_code AS region_iso,
      st.status, coalesce(st.max_power_kw, 0) AS max_power_kw,
      array_to_string(st.connector_types, ',') AS connector_types, st.connectors AS n_connectors,
      ST_Transform(si.geom, 3857) AS g
    FROM site si
    CROSS JOIN b4
    LEFT JOIN operator o ON o.id = si.operator_id
    LEFT JOIN region r ON r.id = si.region_id
    -- OFFSET 0 keeps the view per site (index lookups) instead of aggregating every site.
    CROSS JOIN LATERAL (SELECT * FROM station_summary v WHERE v.site_id = si.id OFFSET 0) st
    WHERE si.geom && b4.env4
      AND (statuses IS NULL OR st.status = ANY (statuses))
      AND (connector IS NULL OR connector = ANY (st.connector_types))
      AND (quvvat_tile_stations.min_power_kw IS NULL
           OR coalesce(st.max_power_kw, 0) >= quvvat_tile_stations.min_power_kw)
      AND (operator_name IS NULL OR o.name = operator_name)
      AND (quvvat_tile_stations.region_iso IS NULL OR r.iso_code = quvvat_tile_stations.region_iso)
      AND (q IS NULL OR si.name ILIKE '%' || q || '%' OR si.city ILIKE '%' || q || '%'
           OR si.address ILIKE '%' || q || '%')
  ),
  cell AS (SELECT 40075016.6855784 / (2 ^ z) / 8 AS m),
  grouped AS (
    SELECT
      CASE WHEN count(*) = 1 THEN min(s.id) ELSE -min(s.id) END AS id,
      CASE WHEN count(*) = 1 THEN min(s.ext_id) END AS ext_id,
      CASE WHEN count(*) = 1 THEN min(s.name) END AS name,
      CASE WHEN count(*) = 1 THEN min(s.city) END AS city,
      CASE WHEN count(*) = 1 THEN min(s.operator) END AS operator,
      CASE WHEN count(*) = 1 THEN min(s.region_iso) END AS region_iso,
      CASE WHEN count(*) = 1 THEN min(s.connector_types) END AS connector_types,
      CASE WHEN count(*) = 1 THEN min(s.source) ELSE
        CASE WHEN bool_and(s.source = 'demo') THEN 'demo' ELSE 'mixed' END END AS source,
      mode() WITHIN GROUP (ORDER BY s.status) AS status,
      max(s.max_power_kw) AS max_power_kw,
      count(*) > 1 AS cluster,
      count(*)::integer AS point_count,
      (count(*) FILTER (WHERE s.status = 'available'))::integer AS n_available,
      ST_Centroid(ST_Collect(s.g)) AS g
    FROM s, cell
    GROUP BY CASE WHEN z >= 11 THEN s.id::double precision ELSE floor(ST_X(s.g) / cell.m) END,
             CASE WHEN z >= 11 THEN 0 ELSE floor(ST_Y(s.g) / cell.m) END
  ),
  t AS (
    SELECT g2.id, g2.ext_id, g2.name, g2.city, g2.operator, g2.region_iso,
      g2.connector_types, g2.source, g2.status, g2.max_power_kw, g2.cluster,
      g2.point_count, g2.n_available,
      ST_AsMVTGeom(g2.g, b.env, 4096, 64, true) AS geom
    FROM grouped g2, b
  )
  SELECT coalesce((SELECT ST_AsMVT(t, 'stations', 4096, 'geom', 'id') FROM t WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_stations(integer, integer, integer, text[], text, double precision, text, text, text) IS
  'MVT layer stations: sites with aggregated status, max power (kW), connector types and source; grid clusters (cluster, point_count) below zoom 11; optional filters.';
