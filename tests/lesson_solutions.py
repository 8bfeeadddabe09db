"""The solutions of the built-in lessons' tasks, in SQL as a trainee would write them in a seat: here with
the tests, never in the package, where a trainee could read them. ``:name.column`` is the seat's parameter,
as in the lesson file; a solution uses only what the task's text tells the trainee."""

OPEN = "(SELECT period FROM billing_period WHERE status = 'open')"
CASH_DESK = "(SELECT id FROM payment_agent WHERE name = 'Касса расчётного центра')"

FIRST_DAY = {
    "reading": f"""
        INSERT INTO meter_reading (meter_id, period, taken_on, source_id, value1)
        SELECT id, {OPEN}, current_date, (SELECT id FROM reading_source WHERE code = 'resident'),
               (SELECT value1 FROM meter_reading WHERE meter_id = m.id AND period < {OPEN}
                ORDER BY period DESC LIMIT 1) + 25
        FROM meter m WHERE serial = :meter.serial""",
    "cash": f"""
        WITH r AS (INSERT INTO payment_registry (agent_id, registry_date, file_name, line_count, total)
                   VALUES ({CASH_DESK}, current_date, 'kassa.txt', 1, :debtor.debt) RETURNING id, agent_id)
        INSERT INTO payment (account_id, agent_id, registry_id, paid_on, period, amount)
        SELECT (SELECT id FROM account WHERE number = :debtor.number), agent_id, id, current_date, {OPEN},
               :debtor.debt
        FROM r""",
    "suspense": f"""
        WITH s AS (SELECT s.id, s.registry_id, s.amount, s.paid_on, r.agent_id,
                          (SELECT a.id FROM account a WHERE a.number = left(s.account_text, -1)) AS account_id
                   FROM payment_suspense s JOIN payment_registry r ON r.id = s.registry_id
                   WHERE r.number = 'УРОК-' || :amount AND s.payment_id IS NULL),
        p AS (INSERT INTO payment (account_id, agent_id, registry_id, paid_on, period, amount)
              SELECT account_id, agent_id, registry_id, paid_on, {OPEN}, amount FROM s RETURNING id)
        UPDATE payment_suspense SET payment_id = (SELECT id FROM p), assigned_at = now()
        WHERE id = (SELECT id FROM s)""",
    "recalculation": f"""
        INSERT INTO recalculation (account_id, service_id, period, for_period, volume, amount, reason)
        SELECT m.account_id, m.service_id, {OPEN}, :over.month, -10, round(-10 * :over.price, 2),
               'ошибочное показание'
        FROM meter m WHERE m.serial = :over.serial;
        UPDATE balance b SET recalculated = recalculated + round(-10 * :over.price, 2),
                             closing = closing + round(-10 * :over.price, 2)
        FROM meter m WHERE m.serial = :over.serial AND b.account_id = m.account_id
          AND b.service_id = m.service_id AND b.period = {OPEN}""",
    "owner": """
        WITH p AS (INSERT INTO person (surname, given_name, patronymic, gender, birth_date)
                   VALUES ('Смирнова', 'Ольга', 'Петровна', 'F', DATE '1985-03-12') RETURNING id)
        INSERT INTO account_person (account_id, person_id, role, share)
        SELECT (SELECT id FROM account WHERE number = :home.number), id, 'owner', 0.5 FROM p;
        UPDATE account_person SET share = 0.5
        WHERE account_id = (SELECT id FROM account WHERE number = :home.number) AND role = 'owner' AND share = 1""",
    "close": f"""
        WITH r AS (INSERT INTO payment_registry (agent_id, registry_date, file_name, line_count, total)
                   VALUES ({CASH_DESK}, current_date, 'kassa-2.txt', 1, :leaving.debt) RETURNING id, agent_id)
        INSERT INTO payment (account_id, agent_id, registry_id, paid_on, period, amount)
        SELECT (SELECT id FROM account WHERE number = :leaving.number), agent_id, id, current_date, {OPEN},
               :leaving.debt
        FROM r;
        UPDATE balance SET paid = paid + closing, closing = 0
        WHERE account_id = (SELECT id FROM account WHERE number = :leaving.number) AND period = {OPEN};
        UPDATE account SET closed_on = current_date WHERE number = :leaving.number""",
    "meter": """
        UPDATE meter SET removed_on = current_date WHERE serial = :old.serial;
        INSERT INTO meter (account_id, service_id, serial, zones, capacity_digits, installed_on, verified_on,
                           next_verification, replaces_meter_id)
        SELECT account_id, service_id, serial || '-Н', zones, capacity_digits, current_date, current_date,
               current_date + make_interval(years => :old.years), id
        FROM meter WHERE serial = :old.serial""",
    "debtors": """
        INSERT INTO lesson_debtors (account_id)
        SELECT account_id FROM (
            SELECT b.account_id FROM balance b JOIN account a ON a.id = b.account_id
            JOIN premise p ON p.id = a.premise_id JOIN building h ON h.id = p.building_id
            WHERE h.city || ', ' || h.street || ', д. ' || h.house = :house.address
              AND b.period IN (SELECT period FROM billing_period WHERE status = 'closed' ORDER BY period DESC LIMIT 3)
            GROUP BY b.account_id, b.period HAVING sum(b.closing) > 0) month_in_debt
        GROUP BY account_id HAVING count(*) = 3""",
}
