-- cases whose deadline is missed or overdue tonight and was not before ($night: the run's night): inserted into
-- meta.deadline_breaches, so tomorrow they are old news.
select d.process, d.case_id, d.status, $night::date as first_seen_night,
from marts.deadlines as d
where d.status in ('missed', 'overdue')
    and not exists (select 1 from meta.deadline_breaches as b where b.process = d.process and b.case_id = d.case_id)
order by d.process, d.case_id
