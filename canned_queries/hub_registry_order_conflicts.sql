-- Hub families laid out as registry versions (numbered by creation time): models that declare a
-- lower version than one the same author published earlier in the same family (v2 before v1).
select v.registered_model,
       v.model_id as published_later,
       v.declared_text as declares,
       v.created_at,
       v.registry_version,
       v.earlier_higher_model_id as published_earlier,
       v.earlier_higher_version as earlier_declares,
       coalesce(e.created_at, e.order_basis) as earlier_created_at,
       e.registry_version as earlier_registry_version,
       v.family_versions,
       v.declared_scheme as scheme,
       m.downloads,
       '/hub/hub_registry_versions?snapshot=' || v.snapshot || '&registered_model='
         || replace(v.registered_model, '/', '%2F') || '&_sort=registry_version' as family_rows
from hub_registry_versions v
join hub_registry_versions e on e.model = v.earlier_higher_model
join models m on m.key = v.model
where v.snapshot = coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline = 1))
  and (:author = '' or v.author = :author)
order by m.downloads desc, v.registered_model, v.registry_version
-- A page of rows keeps the page fast; the full list is the query without this line.
limit 300
