-- Models whose id contains :q (case-insensitive), with their version markers.
select v.model_id, v.snapshot, v.downloads, v.pipeline_tag, v.seed_rule, v.own_version,
       v.primary_form, v.family,
       (select group_concat(vm.text || ' ' || vm.form || ' -> ' || vm.refers_to, '; ')
        from version_markers vm where vm.model = v.model) as markers,
       '/hub/models/' || v.model as model_row
from model_versioning v
-- The trigram index finds the candidate ids without reading every row (three characters or more);
-- the LIKE keeps exactly LIKE's answer.
where v.model in (select rowid from model_id_trigrams
                  where model_id like '%' || coalesce(nullif(:q, ''), 'Llama-3') || '%')
  and v.model_id like '%' || coalesce(nullif(:q, ''), 'Llama-3') || '%'
order by v.downloads desc
limit 200
