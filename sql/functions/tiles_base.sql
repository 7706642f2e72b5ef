-- Vector tile functions for the base map and the planning layers.
-- PL/pgSQL rather than SQL: PostgreSQL 15 re-plans a SQL function's query on every
-- call (tens of ms here), PL/pgSQL keeps the plan for the session.
-- Each is (z, x, y) -> bytea (one MVT layer) built with ST_TileEnvelope/ST_AsMVT,
-- in the shape of pg_tileserv "function layers". Installed by migration 0006.

-- Simplification tolerance in EPSG:3857 metres: a quarter of one tile pixel (4096 extent).
CREATE OR REPLACE FUNCTION quvvat_tile_tolerance(z integer)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 40075016.6855784 / (4096.0 * 2 ^ z) / 4 $$;
COMMENT ON FUNCTION quvvat_tile_tolerance(integer) IS
  'Simplification tolerance (EPSG:3857 m) for tiles of zoom z.';

CREATE OR REPLACE FUNCTION quvvat_tile_regions(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  poly AS (
    SELECT r.id, r.iso_code, r.name_en, r.name_ru, r.name_uz, r.source,
      ST_AsMVTGeom(ST_Simplify(ST_Transform(r.geom, 3857), quvvat_tile_tolerance(z)),
                   b.env, 4096, 64, true) AS geom
    FROM region r, b, b4 WHERE r.geom && b4.env4
  ),
  lbl AS (
    SELECT r.id, r.iso_code, r.name_en, r.name_ru, r.name_uz,
      ST_AsMVTGeom(ST_Transform(ST_PointOnSurface(r.geom), 3857), b.env, 4096, 0, true) AS geom
    FROM region r, b, b4 WHERE r.geom && b4.env4
  )
  SELECT coalesce((SELECT ST_AsMVT(poly, 'regions', 4096, 'geom', 'id') FROM poly WHERE geom IS NOT NULL), ''::bytea)
      || coalesce((SELECT ST_AsMVT(lbl, 'region_labels', 4096, 'geom', 'id') FROM lbl WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_regions(integer, integer, integer) IS
  'MVT layers regions (polygons) and region_labels (points): first-level units.';

CREATE OR REPLACE FUNCTION quvvat_tile_country(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  u AS (
    SELECT ST_Collect(ST_Simplify(ST_Transform(r.geom, 3857), quvvat_tile_tolerance(z) * 4)) AS g
    FROM region r, b4 WHERE r.geom && b4.env4
  ),
  t AS (
    SELECT 'UZ'::text AS iso_code, ST_AsMVTGeom(u.g, b.env, 4096, 64, true) AS geom
    FROM u, b WHERE u.g IS NOT NULL
  )
  SELECT coalesce((SELECT ST_AsMVT(t, 'country', 4096, 'geom') FROM t WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_country(integer, integer, integer) IS
  'MVT layer country: the land of Uzbekistan as one feature (the regions collected, coarsely simplified; a fill, not a border).';

CREATE OR REPLACE FUNCTION quvvat_tile_districts(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  t AS (
    SELECT d.id, d.name_en, d.name_ru, d.name_uz, d.source,
      ST_AsMVTGeom(ST_Simplify(ST_Transform(d.geom, 3857), quvvat_tile_tolerance(z)),
                   b.env, 4096, 64, true) AS geom
    FROM district d, b, b4 WHERE z >= 5 AND d.geom && b4.env4
  )
  SELECT coalesce((SELECT ST_AsMVT(t, 'districts', 4096, 'geom', 'id') FROM t WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_districts(integer, integer, integer) IS
  'MVT layer districts (second-level units), from zoom 5.';

CREATE OR REPLACE FUNCTION quvvat_tile_cities(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  t AS (
    SELECT c.id, c.name, c.name_ru, c.population, c.source,
      ST_AsMVTGeom(ST_Transform(c.geom, 3857), b.env, 4096, 0, true) AS geom
    FROM city c, b, b4
    WHERE c.geom && b4.env4
      AND c.population >= CASE WHEN z <= 5 THEN 200000 WHEN z <= 7 THEN 50000
                               WHEN z <= 9 THEN 10000 ELSE 0 END
    ORDER BY c.population DESC
  )
  SELECT coalesce((SELECT ST_AsMVT(t, 'cities', 4096, 'geom', 'id') FROM t WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_cities(integer, integer, integer) IS
  'MVT layer cities (GeoNames), thinned by population at low zoom.';

CREATE OR REPLACE FUNCTION quvvat_tile_roads(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  t AS (
    SELECT r.id, r.ref, r.name, r.road_class, r.source,
      ST_AsMVTGeom(ST_Simplify(ST_Transform(r.geom, 3857), quvvat_tile_tolerance(z)),
                   b.env, 4096, 64, true) AS geom
    FROM road r, b, b4
    WHERE r.geom && b4.env4
      AND (z >= 8 OR r.road_class IN ('international', 'national', 'motorway', 'trunk', 'primary'))
  )
  SELECT coalesce((SELECT ST_AsMVT(t, 'roads', 4096, 'geom', 'id') FROM t WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_roads(integer, integer, integer) IS
  'MVT layer roads (class, ref); only main classes (international, national, motorway, trunk, primary) below zoom 8.';

CREATE OR REPLACE FUNCTION quvvat_tile_basemap(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  SELECT quvvat_tile_country(z, x, y) || quvvat_tile_regions(z, x, y)
      || quvvat_tile_districts(z, x, y) || quvvat_tile_roads(z, x, y)
      || quvvat_tile_cities(z, x, y)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_basemap(integer, integer, integer) IS
  'The offline base map in one tile: country, regions, region_labels, districts, roads, cities.';

CREATE OR REPLACE FUNCTION quvvat_tile_planned(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  t AS (
    SELECT p.id, p.ext_id, p.name, p.year::integer AS year, p.phase,
      p.power_kw::double precision AS power_kw,
      coalesce((SELECT string_agg(v, ',') FROM jsonb_array_elements_text(p.connector_types) v), '') AS connector_types,
      p.source,
      ST_AsMVTGeom(ST_Transform(p.geom, 3857), b.env, 4096, 16, true) AS geom
    FROM planned_site p, b, b4 WHERE p.geom && b4.env4
  )
  SELECT coalesce((SELECT ST_AsMVT(t, 'planned', 4096, 'geom', 'id') FROM t WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_planned(integer, integer, integer) IS
  'MVT layer planned: planned station sites with rollout year and phase.';

CREATE OR REPLACE FUNCTION quvvat_tile_candidates(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  t AS (
    SELECT c.id, c.ext_id, c.name, c.power_kw::double precision AS power_kw,
      (c.properties ->> 'score')::double precision AS score, c.source,
      ST_AsMVTGeom(ST_Transform(c.geom, 3857), b.env, 4096, 16, true) AS geom
    FROM candidate_site c, b, b4 WHERE c.geom && b4.env4
  )
  SELECT coalesce((SELECT ST_AsMVT(t, 'candidates', 4096, 'geom', 'id') FROM t WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_candidates(integer, integer, integer) IS
  'MVT layer candidates: candidate sites with their score (properties.score).';

CREATE OR REPLACE FUNCTION quvvat_tile_parcels(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  t AS (
    SELECT p.id, p.ext_id, p.land_use, p.owner_type, p.status, p.area_m2, p.source,
      ST_AsMVTGeom(ST_Transform(p.geom, 3857), b.env, 4096, 16, true) AS geom
    FROM cadastre_parcel p, b, b4 WHERE z >= 10 AND p.geom && b4.env4
  )
  SELECT coalesce((SELECT ST_AsMVT(t, 'parcels', 4096, 'geom', 'id') FROM t WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_parcels(integer, integer, integer) IS
  'MVT layer parcels (cadastre: land use, owner type, area), from zoom 10.';

CREATE OR REPLACE FUNCTION quvvat_tile_substations(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  t AS (
    SELECT s.id, s.ext_id, s.name, s.voltage_kv, s.capacity_kw, s.spare_kw, s.source,
      ST_AsMVTGeom(ST_Transform(s.geom, 3857), b.env, 4096, 16, true) AS geom
    FROM grid_substation s, b, b4 WHERE s.geom && b4.env4
  )
  SELECT coalesce((SELECT ST_AsMVT(t, 'substations', 4096, 'geom', 'id') FROM t WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_substations(integer, integer, integer) IS
  'MVT layer substations: grid substations with capacity and spare capacity (kW).';

CREATE OR REPLACE FUNCTION quvvat_tile_grid_lines(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
  RETURN (
  WITH b AS (SELECT ST_TileEnvelope(z, x, y) AS env),
  b4 AS (SELECT ST_Transform(env, 4326) AS env4 FROM b),
  t AS (
    SELECT l.id, l.ext_id, l.voltage_kv, l.capacity_kw, l.spare_kw, l.source,
      ST_AsMVTGeom(ST_Simplify(ST_Transform(l.geom, 3857), quvvat_tile_tolerance(z)),
                   b.env, 4096, 64, true) AS geom
    FROM grid_line l, b, b4 WHERE l.geom && b4.env4
  )
  SELECT coalesce((SELECT ST_AsMVT(t, 'grid_lines', 4096, 'geom', 'id') FROM t WHERE geom IS NOT NULL), ''::bytea)
  );
END
$$;
COMMENT ON FUNCTION quvvat_tile_grid_lines(integer, integer, integer) IS
  'MVT layer grid_lines: power lines with capacity and spare capacity (kW).';
