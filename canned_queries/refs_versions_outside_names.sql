-- Versions outside the name: among the most-downloaded models whose git branches and tags were
-- collected (scripts/acquire/refs.py), how many keep versions in git tags or in branches besides
-- main, next to how many carry a version in their name, per organization (data/organizations.csv;
-- namespaces not listed there are counted together), with a first row for all of them.
with chosen as (
  select coalesce(nullif(:snapshot, ''), (select max(snapshot) from model_commit_counts)) as snapshot
),
checked as (
  select c.model,
         coalesce(v.organization, '(namespaces not in organizations.csv)') as organization,
         coalesce(v.own_version, 0) as in_name,
         exists (select 1 from model_refs r where r.model = c.model and r.kind = 'tag') as has_tags,
         exists (select 1 from model_refs r
                 where r.model = c.model and r.kind = 'branch' and not r.is_main) as has_branches,
         exists (select 1 from model_refs r
                 where r.model = c.model and not r.is_main and r.own_version) as in_refs
  from model_commit_counts c
  join chosen on c.snapshot = chosen.snapshot
  left join model_versioning v on v.model = c.model
  where c.status = 'ok'
),
grouped as (
  select 0 as overall, '(all organizations and namespaces)' as organization, * from (
    select count(*) as models, sum(in_name) as version_in_name, sum(has_tags) as with_tags,
           sum(has_branches) as with_extra_branches, sum(has_tags or has_branches) as tags_or_branches,
           sum(in_refs) as version_in_ref_names, sum(in_refs and not in_name) as refs_not_name,
           sum(in_name and not in_refs) as name_not_refs, sum(in_refs and in_name) as both_places
    from checked)
  union all
  select 1, organization, count(*), sum(in_name), sum(has_tags), sum(has_branches),
         sum(has_tags or has_branches), sum(in_refs), sum(in_refs and not in_name),
         sum(in_name and not in_refs), sum(in_refs and in_name)
  from checked group by organization
)
select (select snapshot from chosen) as snapshot, organization, models, version_in_name,
       with_tags, with_extra_branches, tags_or_branches, version_in_ref_names, refs_not_name,
       name_not_refs, both_places,
       round(1.0 * version_in_name / models, 3) as share_version_in_name,
       round(1.0 * version_in_ref_names / models, 3) as share_version_in_refs,
       round(1.0 * tags_or_branches / models, 3) as share_tags_or_branches
from grouped
where models > 0
order by overall, models desc, organization
