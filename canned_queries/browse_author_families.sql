-- An author's families of two or more models, each model with its version, in version order.
with params as (
  select coalesce(nullif(:author, ''), 'meta-llama') as author,
         coalesce(nullif(:snapshot, ''), (select snapshot from snapshots where headline)) as snapshot
)
select v.family, v.model_id, v.primary_text as version, v.primary_form as form,
       m.created_at, v.downloads, '/hub/models/' || v.model as model_row
from model_versioning v join models m on m.key = v.model, params p
where v.author = p.author and v.snapshot = p.snapshot
  and (v.snapshot, v.author, v.family) in (
        select snapshot, author, family from summary_families where author = p.author)
order by v.family, v.primary_date, v.primary_major, v.primary_minor, v.primary_patch,
         m.created_at, v.model_id
