-- The contacts whose row in {{ contact_cases }} batches after $since could change, when
-- marts.contact_grace and marts.contact_queues did not: a contact's attribution and the wait it fell in depend only
-- on the contact, its citizen's cases and the case its number names. So: the new contacts; those of every citizen a
-- touched case has an event of (the case's citizen before and after the batch); those attributed to a touched case;
-- those naming a touched case's number.
with touched as (
    select distinct process, case_id from staging.events where batch_id > $since and case_id is not null
),

citizens as (
    select distinct e.citizen_key
    from staging.events as e
    semi join touched as t on e.case_id = t.case_id and t.process is not distinct from e.process
    where e.citizen_key is not null
),

final as (
    select contact_id from staging.contacts where batch_id > $since
    union
    select c.contact_id from staging.contacts as c semi join citizens as k on c.citizen_key = k.citizen_key
    union
    select m.contact_id
    from {{ contact_cases }} as m
    semi join touched as t on m.case_id = t.case_id and m.process = t.process
    union
    select c.contact_id from staging.contacts as c semi join touched as t on t.case_id = trim(c.case_ref)
)

select * from final
