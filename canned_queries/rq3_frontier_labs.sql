-- RQ3 for the frontier labs: per lab, the share of its tracked releases with an own version in the
-- name and the scheme of that version, to 2024-07-11 (in that census) and after, and whether the
-- most common scheme changed.
with labs as (
    select a.snapshot, a.org, a.releases, a.own_version, a.v_number, a.bare_number, a.date_edition, a.other,
           a.main_scheme, b.releases as releases_before, b.own_version as own_before, b.main_scheme as scheme_before,
           c.releases as releases_after, c.own_version as own_after, c.main_scheme as scheme_after
    from frontier_lab_schemes a
    left join frontier_lab_schemes b on b.org = a.org and b.era = 'to 2024-07-11'
    left join frontier_lab_schemes c on c.org = a.org and c.era = 'after 2024-07-11'
    where a.era = 'all')
select snapshot, org, releases,
       round(1.0 * own_version / releases, 4) as share_own,
       v_number, bare_number, date_edition, other, main_scheme,
       releases_before, round(1.0 * own_before / releases_before, 4) as share_own_before, scheme_before,
       releases_after, round(1.0 * own_after / releases_after, 4) as share_own_after, scheme_after,
       case when scheme_before is null or scheme_after is null then 'one era only'
            when scheme_before = scheme_after then 'same'
            else 'changed' end as scheme_change,
       '/hub/frontier_models?org=' || org as release_rows
from labs
where releases >= cast(:min_releases as integer)
order by releases desc, org
