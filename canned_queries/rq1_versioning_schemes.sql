-- RQ1 answered: per census and popularity band (30-day downloads), the share of models with no own
-- version, with a traditional own version (major.minor.patch-like) and with another scheme, as the
-- classifier counts them (share_raw), corrected for its error on the hand-labelled uniform sample
-- (share_corrected, 95% interval: prediction-powered inference), by the seed rule (share_seed) and
-- as the seed study published them (seed_study); then why the seed rule differs (shares of models,
-- in parts that add up: share_seed - seed_not_own + own_not_seed = the own-version share_raw).
select e.snapshot, e.band, e.measure, e.share_raw, e.share_corrected, e.corrected_low, e.corrected_high,
       e.share_seed, e.seed_study, e.models, e.labelled, e.method, e.note,
       g.seed_not_own, g.seed_not_own_environment, g.seed_not_own_dataset, g.seed_not_own_base_model,
       g.seed_not_own_other, g.own_not_seed, g.own_not_seed_date, g.own_not_seed_checkpoint,
       g.own_not_seed_number, g.own_not_seed_generation, g.own_not_seed_glued, g.own_not_seed_v_unseen,
       g.own_not_seed_edition,
       '/hub/model_versioning?snapshot=' || e.snapshot ||
         case e.measure when 'no own version' then '&own_version=0'
                        when 'own version' then '&own_version=1'
                        when 'traditional' then '&own_version=1&primary_form__in=v_major,v_minor,v_patch,num_minor,num_patch'
                        else '&own_version=1&primary_form__in=generation,glued,date,prerelease,revision,checkpoint' end ||
         case e.band when 'all' then '' when '0' then '&downloads__lt=1'
                     when '1-9' then '&downloads__gte=1&downloads__lt=10' else '&downloads__gte=10' end as rows,
       '/hub/validation_labels?stratum=uniform&decision__not=agree' as disagreement_rows
from estimate_rq1 e join estimate_seed_gap g using (snapshot, band)
order by e.snapshot desc, e.band_order,
         case e.measure when 'no own version' then 0 when 'own version' then 1 when 'traditional' then 2 else 3 end
