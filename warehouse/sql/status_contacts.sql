-- One row per contact source and channel. Grain: source x channel x direction.
with contacts as (
    select * from staging.contacts
),

final as (
    select
        source,
        channel,
        direction,
        count(*) as n_contacts,
        count(citizen_key) as n_identified,
        count(case_ref) as n_with_case_ref,
    from contacts
    group by all
)

select * from final order by source, channel, direction
