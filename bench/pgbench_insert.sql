-- pgbench's physical limit for bench/run.py: one single-row INSERT per transaction into a
-- table guarded like bookings_appointment (btree_gist exclusion on practitioner and time
-- range, active rows only). Each row takes the next free hour, so none is refused.
\set practitioner random(1, 50)
INSERT INTO bench_slot (practitioner_id, start, blocked_until)
SELECT :practitioner, hour, hour + interval '1 hour'
FROM (SELECT timestamptz '2030-01-01 00:00+00' + nextval('bench_tick') * interval '1 hour' AS hour) AS next_hour;
