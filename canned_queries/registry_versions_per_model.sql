-- How many versions a registered model has: an MLflow registry's distribution beside the Hub's
-- families (singletons included), as shares of registered models.
with counts as (
  select snapshot as source, 'MLflow registry' as kind, min(versions, 10) as versions,
         count(*) as registered_models
  from registry_models group by snapshot, min(versions, 10)
  union all
  select snapshot, 'Hub families as registry', min(versions, 10), sum(families)
  from hub_registry_sizes group by snapshot, min(versions, 10)
)
select source, kind, versions,
       case when versions = 10 then '10 or more' else cast(versions as text) end as versions_label,
       registered_models,
       round(1.0 * registered_models / sum(registered_models) over (partition by source), 4) as share
from counts
where :source = '' or source = :source
order by kind desc, source desc, versions
