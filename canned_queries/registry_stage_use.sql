-- Model versions per stage in each MLflow registry snapshot (stages are deprecated in favour of
-- aliases; 'None' is MLflow's stage for a version in no stage).
select v.snapshot,
       coalesce(v.stage, '(registry without stages)') as stage,
       count(*) as versions,
       round(1.0 * count(*) / sum(count(*)) over (partition by v.snapshot), 4) as share_of_versions,
       count(distinct v.registered_model) as registered_models,
       sum(v.is_latest) as latest_versions,
       sum(v.aliases is not null) as versions_with_alias
from registry_versions v
where :snapshot = '' or v.snapshot = :snapshot
group by v.snapshot, v.stage
order by v.snapshot desc,
         case v.stage when 'Production' then 1 when 'Staging' then 2 when 'Archived' then 3
                      when 'None' then 4 else 5 end
