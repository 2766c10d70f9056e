-- Alias names in MLflow registries: how often each is used, whether it points at the newest
-- version, and whether the alias name itself carries a version marker.
select a.alias,
       count(*) as registered_models,
       count(distinct a.snapshot) as registries,
       sum(a.version = r.latest_version) as on_latest_version,
       sum(a.version < r.latest_version) as on_older_version,
       max(a.own_version) as alias_has_version,
       max(a.primary_text) as alias_declares,
       max(a.primary_form) as alias_form,
       group_concat(a.name || '@' || a.alias || ' = version ' || a.version, '; ') as uses
from registry_aliases a
join registry_models r on r.key = a.registered_model
where :snapshot = '' or a.snapshot = :snapshot
group by a.alias
order by registered_models desc, a.alias
