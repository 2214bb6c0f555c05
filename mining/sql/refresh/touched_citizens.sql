-- The citizens whose row in {{ mart }} (marts.citizen_journeys) batches after $since could change, when
-- marts.contact_cases was updated contact by contact: a citizen's row depends only on the citizen's cases and
-- contacts. So: every citizen a touched case has an event of (the case's citizen before and after the batch), and
-- the citizen of every contact marts.contact_cases computed again.
with touched as (
    select distinct process, case_id from staging.events where batch_id > $since and case_id is not null
),

final as (
    select e.citizen_key
    from staging.events as e
    semi join touched as t on e.case_id = t.case_id and t.process is not distinct from e.process
    where e.citizen_key is not null
    union
    select c.citizen_key
    from staging.contacts as c
    semi join {{ touched_contacts }} as t on c.contact_id = t.contact_id
    where c.citizen_key is not null
)

select * from final
