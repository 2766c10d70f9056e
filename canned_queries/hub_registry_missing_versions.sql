-- Holes in the declared version sequence of Hub families: v1 and v3 with no v2 (major), or
-- v0.1 and v0.3 with no v0.2 (minor, only where both ends state a minor).
select g.registered_model,
       g.level,
       g.after_version,
       g.before_version,
       g.missing_versions,
       g.missing,
       g.after_model_id,
       g.before_model_id,
       f.versions as family_versions,
       f.declared_versions,
       '/hub/hub_registry_versions?snapshot=' || g.snapshot || '&registered_model='
         || replace(g.registered_model, '/', '%2F') || '&_sort=registry_version' as family_rows
from hub_registry_gaps g
join hub_registry_families f on f.snapshot = g.snapshot and f.registered_model = g.registered_model
where g.snapshot = coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline = 1))
  and g.missing <= cast(coalesce(nullif(:max_missing, ''), 10) as integer)
  and (:author = '' or g.author = :author)
order by g.missing, g.registered_model, g.level
-- A page of rows keeps the page fast; the full list is the query without this line.
limit 300
