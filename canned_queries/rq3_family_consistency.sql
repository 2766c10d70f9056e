-- Families (same author, same name once version, size and quantisation tokens are removed) of
-- two or more models: how many carry a version, in how many forms, and the versions in order.
with params as (
  select coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline)) as snapshot,
         nullif(:organization, '') as organization,
         cast(coalesce(nullif(:min_models, ''), 2) as integer) as min_models
)
select f.author, f.family, f.organization, f.models, f.versioned, f.forms, f.top_form,
       f.consistency, f.entropy_bits, f.versions,
       '/hub/model_versioning?snapshot=' || f.snapshot || '&author=' || f.author || '&family=' || f.family as rows
from summary_families f, params
where f.snapshot = params.snapshot and f.models >= params.min_models and f.versioned > 0
  and (params.organization is null or f.organization = params.organization)
order by f.organization is null, f.versioned desc, f.models desc
limit 300
