-- Registered models whose names carry a version marker although the registry numbers versions
-- itself, and how many registered models share the name's family (versioning by name).
select r.snapshot,
       r.name,
       r.primary_text as name_declares,
       r.primary_form,
       r.seed_rule,
       r.family,
       (select count(*) from registry_models s
        where s.snapshot = r.snapshot and s.family = r.family) as names_in_family,
       r.versions,
       r.latest_version,
       r.aliases
from registry_models r
where (r.own_version = 1 or r.seed_rule = 1)
  and (:snapshot = '' or r.snapshot = :snapshot)
order by r.snapshot desc, names_in_family desc, r.family, r.name
