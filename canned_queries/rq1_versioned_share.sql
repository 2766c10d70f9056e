-- Share of models whose name carries a version, by the seed study's rule and by the refined
-- own-version measure, per snapshot, with Wilson 95% confidence intervals (sampling only); over the
-- whole census (min_downloads 0), the own-version row also carries the share corrected for the
-- classifier's error (estimate_rq1: prediction-powered inference on the hand-labelled sample).
with params as (
  select cast(coalesce(nullif(:min_downloads, ''), 0) as integer) as min_downloads
),
totals as (
  select d.snapshot, sum(d.models) as models, sum(d.seed_rule) as seed_rule,
         sum(d.own_version) as own_version
  from summary_downloads d, params
  where d.downloads >= params.min_downloads
  group by d.snapshot
),
measures as (
  select snapshot, 'seed rule (v-number anywhere)' as measure, models, seed_rule as versioned,
         'seed_rule' as flag from totals
  union all
  select snapshot, 'own version (refined)', models, own_version, 'own_version' from totals
),
shares as (select *, 1.0 * versioned / models as p, 1.96 * 1.96 / models as z2n from measures)
select snapshot, measure, models, versioned, round(p, 4) as share,
       round((p + z2n / 2 - 1.96 * sqrt(p * (1 - p) / models + z2n / (4 * models))) / (1 + z2n), 4) as ci95_low,
       round((p + z2n / 2 + 1.96 * sqrt(p * (1 - p) / models + z2n / (4 * models))) / (1 + z2n), 4) as ci95_high,
       round(p, 4) as share_raw, e.share_corrected, e.corrected_low, e.corrected_high, e.share_seed,
       e.labelled, e.note,
       '/hub/model_versioning?snapshot=' || snapshot || '&' || flag || '=1&downloads__gte=' ||
         (select min_downloads from params) as versioned_rows
from shares s
left join (select snapshot as census, share_corrected, corrected_low, corrected_high, share_seed,
                  labelled, note
           from estimate_rq1 where band = 'all' and measure = 'own version') e
     on e.census = s.snapshot and s.flag = 'own_version' and (select min_downloads from params) = 0
order by snapshot desc, measure desc
