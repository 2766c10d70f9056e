-- One Hub family as an MLflow registered model: registry version numbers by creation time, the
-- `latest` alias, and the version the name declares beside each number.
with params as (
  select coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline = 1)) as snapshot
),
default_family as (
  -- the family with 2+ declared versions whose newest model is the most downloaded
  select f.registered_model from hub_registry_families f
  join params p on f.snapshot = p.snapshot
  join models m on m.key = f.latest_model
  where f.declared_versions >= 2
  order by m.downloads desc limit 1
),
target as (
  select f.snapshot, f.registered_model from hub_registry_families f
  join params p on f.snapshot = p.snapshot
  where f.registered_model = coalesce(nullif(:registered_model, ''),
                                      (select registered_model from default_family)) collate nocase
)
select v.registered_model,
       v.registry_version,
       case when v.is_latest then 'latest' end as alias,
       v.model_id,
       coalesce(v.created_at, v.order_basis) as created_at,
       v.declared_text as declared_version,
       v.declared_form,
       case when v.earlier_higher_model is not null
            then 'declares less than ' || v.earlier_higher_model_id end as order_conflict,
       m.downloads
from hub_registry_versions v
join target t on t.snapshot = v.snapshot and t.registered_model = v.registered_model
join models m on m.key = v.model
order by v.registry_version
