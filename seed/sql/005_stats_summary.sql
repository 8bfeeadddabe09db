-- The figures of `provision stats` and the console's charts, kept in small tables as the books change, so
-- that reading them never waits on a scan of the books. Computed whole once (at the end of a load, in the
-- working schema before the switch, or summed by the generator as it drew the books; or here, on books
-- loaded before this migration), then kept true by
-- statement-level triggers that read only the rows a statement changed (its transition tables). The
-- triggers are made after a load's COPY, never during it. They are ENABLE ALWAYS, so a statement run with
-- session_replication_role = replica (a registry's payments) keeps them true too; all but the balances',
-- which a registry's update of the open month's paid and closing skips that way (none of their figures).
-- Each trigger reaches the tables of its own schema (TG_TABLE_SCHEMA): a working schema is renamed okno
-- when it is switched in.

CREATE TABLE stat_total (
    one           boolean PRIMARY KEY DEFAULT true CHECK (one),
    accounts      bigint  NOT NULL,
    open_accounts bigint  NOT NULL,
    residents     bigint  NOT NULL,
    persons       bigint  NOT NULL,
    buildings     bigint  NOT NULL,
    premises      bigint  NOT NULL,
    area          numeric NOT NULL,
    debt_period   date    -- the month stat_debt is of: the last closed one
);
COMMENT ON TABLE stat_total IS 'Итоги книг для статистики / the books'' totals for `provision stats`';

CREATE TABLE stat_month (
    period    date    PRIMARY KEY,
    balances  bigint  NOT NULL,
    charged   numeric NOT NULL,  -- charged + recalculated
    payments  bigint  NOT NULL,
    paid      numeric NOT NULL
);
COMMENT ON TABLE stat_month IS 'Начислено и оплачено по месяцам / charged and paid per month';

CREATE TABLE stat_agent (
    period    date     NOT NULL,
    agent_id  smallint NOT NULL,
    payments  bigint   NOT NULL,
    paid      numeric  NOT NULL,
    PRIMARY KEY (period, agent_id)
);
COMMENT ON TABLE stat_agent IS 'Платежи по агентам и месяцам / payments per agent per month';

CREATE TABLE stat_service (
    service_id smallint PRIMARY KEY,
    accounts   bigint NOT NULL,  -- accounts that receive the service
    covered    bigint NOT NULL   -- of them, those with a meter of it (removed ones too)
);
COMMENT ON TABLE stat_service IS 'Охват услуг приборами учёта / accounts with a service and with its meter';

CREATE TABLE stat_meter_due (
    service_id smallint NOT NULL,
    due        date     NOT NULL,  -- next verification ('infinity' when unknown)
    meters     bigint   NOT NULL,  -- meters in place, on accounts that receive their service
    PRIMARY KEY (service_id, due)
);
COMMENT ON TABLE stat_meter_due IS 'Приборы учёта по дате следующей поверки / meters in place by next verification';

CREATE TABLE stat_debt (
    age      text    PRIMARY KEY,
    accounts bigint  NOT NULL,
    debt     numeric NOT NULL
);
COMMENT ON TABLE stat_debt IS 'Долг по возрасту на конец последнего закрытого месяца / debt by age, last closed month';

-- How old an account's debt is, in months of its charges (the bucket's order before the colon).
CREATE FUNCTION stat_age(debt numeric, monthly numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT CASE WHEN debt <= 0 THEN '0: none'
                WHEN debt <= monthly THEN '1: up to 1 month'
                WHEN debt <= 3 * monthly THEN '2: 1-3 months'
                WHEN debt <= 6 * monthly THEN '3: 3-6 months'
                WHEN debt <= 12 * monthly THEN '4: 6-12 months'
                ELSE '5: over a year' END
$f$;

-- Debt by age of the last closed month, computed whole (once per month closed).
CREATE FUNCTION stat_refresh_debt(s name) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
    last date;
BEGIN
    EXECUTE format('SELECT max(period) FROM %I.billing_period WHERE status = ''closed''', s) INTO last;
    EXECUTE format('DELETE FROM %I.stat_debt', s);
    EXECUTE format($q$
        INSERT INTO %1$I.stat_debt (age, accounts, debt)
        SELECT %1$I.stat_age(debt, monthly), count(*), coalesce(sum(greatest(debt, 0)), 0)
          FROM (SELECT account_id, sum(closing) AS debt, sum(charged) AS monthly FROM %1$I.balance
                 WHERE period = $1 GROUP BY account_id) a GROUP BY 1$q$, s) USING last;
    EXECUTE format('UPDATE %I.stat_total SET debt_period = $1', s) USING last;
END
$f$;

-- Every figure computed whole from the books.
CREATE FUNCTION stat_refresh(s name) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE format($q$
        DELETE FROM %1$I.stat_total;
        INSERT INTO %1$I.stat_total (accounts, open_accounts, residents, persons, buildings, premises, area)
        SELECT (SELECT count(*) FROM %1$I.account), (SELECT count(*) FROM %1$I.account WHERE closed_on IS NULL),
               (SELECT coalesce(sum(residents), 0) FROM %1$I.account), (SELECT count(*) FROM %1$I.person),
               (SELECT count(*) FROM %1$I.building), (SELECT count(*) FROM %1$I.premise),
               (SELECT coalesce(sum(total_area), 0) FROM %1$I.premise);
        DELETE FROM %1$I.stat_month;
        INSERT INTO %1$I.stat_month (period, balances, charged, payments, paid)
        SELECT period, coalesce(b.n, 0), coalesce(b.charged, 0), coalesce(y.n, 0), coalesce(y.paid, 0)
          FROM (SELECT period, count(*) AS n, sum(charged + recalculated) AS charged FROM %1$I.balance
                 GROUP BY period) b
          FULL JOIN (SELECT period, count(*) AS n, sum(amount) AS paid FROM %1$I.payment GROUP BY period) y
         USING (period);
        DELETE FROM %1$I.stat_agent;
        INSERT INTO %1$I.stat_agent (period, agent_id, payments, paid)
        SELECT period, agent_id, count(*), sum(amount) FROM %1$I.payment GROUP BY 1, 2;
        DELETE FROM %1$I.stat_service;
        INSERT INTO %1$I.stat_service (service_id, accounts, covered)
        SELECT a.service_id, count(*), count(m.account_id) FROM %1$I.account_service a
          LEFT JOIN (SELECT DISTINCT account_id, service_id FROM %1$I.meter) m USING (account_id, service_id)
         GROUP BY 1;
        DELETE FROM %1$I.stat_meter_due;
        INSERT INTO %1$I.stat_meter_due (service_id, due, meters)
        SELECT m.service_id, coalesce(m.next_verification, 'infinity'), count(*) FROM %1$I.meter m
          JOIN %1$I.account_service a ON a.account_id = m.account_id AND a.service_id = m.service_id
         WHERE m.removed_on IS NULL GROUP BY 1, 2$q$, s);
    EXECUTE format('SELECT %I.stat_refresh_debt($1)', s) USING s;
END
$f$;

-- account, person, building, premise: the totals.
CREATE FUNCTION stat_on_totals() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
    sets text := CASE TG_TABLE_NAME
        WHEN 'account' THEN 'accounts = accounts + x.n, open_accounts = open_accounts + x.o, residents = residents + x.r'
        WHEN 'person' THEN 'persons = persons + x.n'
        WHEN 'building' THEN 'buildings = buildings + x.n'
        ELSE 'premises = premises + x.n, area = area + x.a' END;
    sums text := CASE TG_TABLE_NAME
        WHEN 'account' THEN 'coalesce(sum(sign) FILTER (WHERE closed_on IS NULL), 0) AS o, '
                            'coalesce(sum(sign * residents), 0) AS r'
        WHEN 'premise' THEN 'coalesce(sum(sign * total_area), 0) AS a'
        ELSE '0' END;
BEGIN
    EXECUTE format('WITH d AS (%s) UPDATE %I.stat_total SET %s FROM (SELECT coalesce(sum(sign), 0) AS n, %s FROM d) x',
                   TG_ARGV[0], TG_TABLE_SCHEMA, sets, sums);
    RETURN NULL;
END
$f$;

-- balance: charged per month; debt by age of the accounts changed in the last closed month.
CREATE FUNCTION stat_on_balance() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE format($q$
        WITH d AS (%1$s)
        INSERT INTO %2$I.stat_month AS t (period, balances, charged, payments, paid)
        SELECT period, sum(sign), sum(sign * (charged + recalculated)), 0, 0 FROM d GROUP BY period
        ON CONFLICT (period) DO UPDATE SET balances = t.balances + excluded.balances,
                                           charged = t.charged + excluded.charged$q$,
        TG_ARGV[0], TG_TABLE_SCHEMA);
    EXECUTE format($q$
        WITH d AS (%1$s),
        k AS (SELECT account_id, sum(sign) AS n, sum(sign * closing) AS debt, sum(sign * charged) AS monthly
                FROM d WHERE period = (SELECT debt_period FROM %2$I.stat_total) GROUP BY account_id),
        now AS (SELECT k.account_id, b.n, b.debt, b.monthly FROM k, LATERAL (
                    SELECT count(*) AS n, coalesce(sum(closing), 0) AS debt, coalesce(sum(charged), 0) AS monthly
                      FROM %2$I.balance b WHERE b.account_id = k.account_id
                       AND b.period = (SELECT debt_period FROM %2$I.stat_total)) b),
        moves AS (SELECT %2$I.stat_age(debt, monthly) AS age, 1 AS sign, greatest(debt, 0) AS debt FROM now WHERE n > 0
                  UNION ALL
                  SELECT %2$I.stat_age(w.debt - k.debt, w.monthly - k.monthly), -1, greatest(w.debt - k.debt, 0)
                    FROM now w JOIN k USING (account_id) WHERE w.n - k.n > 0)
        INSERT INTO %2$I.stat_debt AS t (age, accounts, debt)
        SELECT age, sum(sign), sum(sign * debt) FROM moves GROUP BY age
        ON CONFLICT (age) DO UPDATE SET accounts = t.accounts + excluded.accounts, debt = t.debt + excluded.debt$q$,
        TG_ARGV[0], TG_TABLE_SCHEMA);
    RETURN NULL;
END
$f$;

-- payment: paid per month, and per agent per month.
CREATE FUNCTION stat_on_payment() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE format($q$
        WITH d AS (%1$s)
        INSERT INTO %2$I.stat_month AS t (period, balances, charged, payments, paid)
        SELECT period, 0, 0, sum(sign), sum(sign * amount) FROM d GROUP BY period
        ON CONFLICT (period) DO UPDATE SET payments = t.payments + excluded.payments, paid = t.paid + excluded.paid$q$,
        TG_ARGV[0], TG_TABLE_SCHEMA);
    EXECUTE format($q$
        WITH d AS (%1$s)
        INSERT INTO %2$I.stat_agent AS t (period, agent_id, payments, paid)
        SELECT period, agent_id, sum(sign), sum(sign * amount) FROM d GROUP BY 1, 2
        ON CONFLICT (period, agent_id) DO UPDATE SET payments = t.payments + excluded.payments,
                                                     paid = t.paid + excluded.paid$q$,
        TG_ARGV[0], TG_TABLE_SCHEMA);
    RETURN NULL;
END
$f$;

-- account_service: accounts per service, and the meters of the accounts that gained or lost a service.
CREATE FUNCTION stat_on_account_service() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE format($q$
        WITH d AS (%1$s)
        INSERT INTO %2$I.stat_service AS t (service_id, accounts, covered)
        SELECT service_id, sum(sign), coalesce(sum(sign) FILTER (WHERE EXISTS (SELECT 1 FROM %2$I.meter m
               WHERE m.account_id = d.account_id AND m.service_id = d.service_id)), 0) FROM d GROUP BY 1
        ON CONFLICT (service_id) DO UPDATE SET accounts = t.accounts + excluded.accounts,
                                               covered = t.covered + excluded.covered$q$,
        TG_ARGV[0], TG_TABLE_SCHEMA);
    EXECUTE format($q$
        WITH d AS (%1$s)
        INSERT INTO %2$I.stat_meter_due AS t (service_id, due, meters)
        SELECT d.service_id, coalesce(m.next_verification, 'infinity'), sum(d.sign) FROM d
          JOIN %2$I.meter m ON m.account_id = d.account_id AND m.service_id = d.service_id AND m.removed_on IS NULL
         GROUP BY 1, 2
        ON CONFLICT (service_id, due) DO UPDATE SET meters = t.meters + excluded.meters$q$,
        TG_ARGV[0], TG_TABLE_SCHEMA);
    RETURN NULL;
END
$f$;

-- meter: meters in place by next verification; coverage of the accounts whose meters changed.
CREATE FUNCTION stat_on_meter() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE format($q$
        WITH d AS (%1$s)
        INSERT INTO %2$I.stat_meter_due AS t (service_id, due, meters)
        SELECT service_id, coalesce(next_verification, 'infinity'), sum(sign) FROM d
         WHERE removed_on IS NULL AND EXISTS (SELECT 1 FROM %2$I.account_service a
               WHERE a.account_id = d.account_id AND a.service_id = d.service_id)
         GROUP BY 1, 2
        ON CONFLICT (service_id, due) DO UPDATE SET meters = t.meters + excluded.meters$q$,
        TG_ARGV[0], TG_TABLE_SCHEMA);
    EXECUTE format($q$
        WITH d AS (%1$s),
        k AS (SELECT account_id, service_id, sum(sign) AS n FROM d GROUP BY 1, 2),
        c AS (SELECT k.service_id, k.n, (SELECT count(*) FROM %2$I.meter m
                     WHERE m.account_id = k.account_id AND m.service_id = k.service_id) AS now
                FROM k WHERE EXISTS (SELECT 1 FROM %2$I.account_service a
                                     WHERE a.account_id = k.account_id AND a.service_id = k.service_id))
        UPDATE %2$I.stat_service t SET covered = t.covered + x.moved
          FROM (SELECT service_id, sum((now > 0)::int - (now - n > 0)::int) AS moved FROM c GROUP BY 1) x
         WHERE t.service_id = x.service_id$q$,
        TG_ARGV[0], TG_TABLE_SCHEMA);
    RETURN NULL;
END
$f$;

-- billing_period: a month closed (or reopened) moves debt by age to the new last closed month.
CREATE FUNCTION stat_on_period() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
    changed boolean;
BEGIN
    EXECUTE format('SELECT debt_period IS DISTINCT FROM (SELECT max(period) FROM %1$I.billing_period '
                   'WHERE status = ''closed'') FROM %1$I.stat_total', TG_TABLE_SCHEMA) INTO changed;
    IF changed THEN
        EXECUTE format('SELECT %I.stat_refresh_debt($1)', TG_TABLE_SCHEMA) USING TG_TABLE_SCHEMA;
    END IF;
    RETURN NULL;
END
$f$;

-- TRUNCATE has no transition table: everything is computed again.
CREATE FUNCTION stat_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE format('SELECT %I.stat_refresh($1)', TG_TABLE_SCHEMA) USING TG_TABLE_SCHEMA;
    RETURN NULL;
END
$f$;

-- One trigger per table and event (a trigger with transition tables fires on one event only); its argument is
-- the rows the statement changed, each with its sign: +1 as it is now, -1 as it was.
CREATE FUNCTION stat_triggers(s name) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
    tab text;
    fn text;
    made constant text := 'SELECT 1 AS sign, n.* FROM new_rows n';
    gone constant text := 'SELECT -1 AS sign, o.* FROM old_rows o';
BEGIN
    FOR tab, fn IN VALUES ('account', 'stat_on_totals'), ('person', 'stat_on_totals'),
                          ('building', 'stat_on_totals'), ('premise', 'stat_on_totals'),
                          ('balance', 'stat_on_balance'), ('payment', 'stat_on_payment'),
                          ('account_service', 'stat_on_account_service'), ('meter', 'stat_on_meter') LOOP
        EXECUTE format('CREATE TRIGGER stat_insert AFTER INSERT ON %1$I.%2$I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.%3$I(%4$L)', s, tab, fn, made);
        EXECUTE format('CREATE TRIGGER stat_update AFTER UPDATE ON %1$I.%2$I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %1$I.%3$I(%4$L)',
                       s, tab, fn, made || ' UNION ALL ' || gone);
        EXECUTE format('CREATE TRIGGER stat_delete AFTER DELETE ON %1$I.%2$I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.%3$I(%4$L)', s, tab, fn, gone);
        EXECUTE format('CREATE TRIGGER stat_truncate AFTER TRUNCATE ON %1$I.%2$I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.stat_on_truncate()', s, tab);
        CONTINUE WHEN tab = 'balance';  -- see the head of this file
        EXECUTE format('ALTER TABLE %1$I.%2$I ENABLE ALWAYS TRIGGER stat_insert, '
                       'ENABLE ALWAYS TRIGGER stat_update, ENABLE ALWAYS TRIGGER stat_delete, '
                       'ENABLE ALWAYS TRIGGER stat_truncate', s, tab);
    END LOOP;
    EXECUTE format('CREATE TRIGGER stat_period AFTER INSERT OR UPDATE OR DELETE ON %1$I.billing_period '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %1$I.stat_on_period()', s);
    EXECUTE format('ALTER TABLE %I.billing_period ENABLE ALWAYS TRIGGER stat_period', s);
END
$f$;

-- A load sets okno.summary to 'given' for this transaction (seed/load.py, finish_load): a seed COPYs the
-- figures its generator summed as it drew the books (seed/synth/summary.py), an import computes them beside
-- the tables' ANALYZE, on another connection. Anyone else computes them here.
SELECT stat_refresh(current_schema()) WHERE current_setting('okno.summary', true) IS DISTINCT FROM 'given';
SELECT stat_triggers(current_schema());
