-- «Одно Окно» schema, part 1: tables, checks and comments. Keys and indexes come in 002, after a load.
-- Amounts are in roubles with kopecks (numeric(14,2)); volumes in the service's unit (numeric(14,3)).

CREATE TABLE supplier (
    id          integer NOT NULL,
    name        text    NOT NULL,
    inn         text    NOT NULL CHECK (inn ~ '^[0-9]{10}$'),
    kpp         text    NOT NULL CHECK (kpp ~ '^[0-9]{9}$'),
    bik         text    NOT NULL CHECK (bik ~ '^[0-9]{9}$'),
    bank_account text   NOT NULL CHECK (bank_account ~ '^[0-9]{20}$'),
    address     text    NOT NULL
);
COMMENT ON TABLE supplier IS 'РСО: ресурсоснабжающая организация / resource-supplying organisation';

CREATE TABLE service (
    id          smallint NOT NULL,
    code        text     NOT NULL,
    name        text     NOT NULL,
    unit        text     NOT NULL,
    supplier_id integer  NOT NULL,
    metered     boolean  NOT NULL,
    verification_years smallint,
    capacity_digits    smallint
);
COMMENT ON TABLE service IS 'Услуга ЖКУ с единицей измерения / utility service with its unit';

CREATE TABLE tariff (
    id          integer  NOT NULL,
    service_id  smallint NOT NULL,
    zone        smallint NOT NULL CHECK (zone BETWEEN 0 AND 3),
    price       numeric(12,4) NOT NULL CHECK (price > 0),
    valid_from  date     NOT NULL,
    valid_to    date     NOT NULL,
    CHECK (valid_to >= valid_from)
);
COMMENT ON TABLE tariff IS 'Тариф: цена за единицу в зоне суток за период действия / price per unit, zone (0 single-rate, 1 day/peak, 2 night, 3 half-peak), validity';

CREATE TABLE norm (
    id          integer  NOT NULL,
    service_id  smallint NOT NULL,
    basis       text     NOT NULL CHECK (basis IN ('person', 'm2')),
    value       numeric(10,4) NOT NULL CHECK (value >= 0),
    valid_from  date     NOT NULL,
    valid_to    date     NOT NULL
);
COMMENT ON TABLE norm IS 'Норматив потребления на человека или на м² в месяц / consumption norm per person or per m² per month';

CREATE TABLE building (
    id          integer  NOT NULL,
    city        text     NOT NULL,
    street      text     NOT NULL,
    house       text     NOT NULL,
    fias_guid   uuid,
    oktmo       text     CHECK (oktmo ~ '^[0-9]{8}([0-9]{3})?$'),
    year_built  smallint CHECK (year_built BETWEEN 1850 AND 2100),
    floors      smallint CHECK (floors BETWEEN 1 AND 60),
    entrances   smallint CHECK (entrances BETWEEN 1 AND 30),
    has_hot_water boolean NOT NULL,
    has_gas     boolean  NOT NULL
);
COMMENT ON TABLE building IS 'Дом: адрес, ФИАС, ОКТМО / building: address, FIAS GUID, OKTMO';

CREATE TABLE premise (
    id          integer  NOT NULL,
    building_id integer  NOT NULL,
    number      text     NOT NULL,
    kind        text     NOT NULL CHECK (kind IN ('flat', 'room', 'non_residential')),
    floor       smallint,
    entrance    smallint,
    rooms       smallint CHECK (rooms BETWEEN 0 AND 20),
    total_area  numeric(8,2) NOT NULL CHECK (total_area > 0),
    living_area numeric(8,2) CHECK (living_area >= 0)
);
COMMENT ON TABLE premise IS 'Помещение: квартира, комната, нежилое / premise: flat, room, non-residential';

CREATE TABLE account (
    id          integer  NOT NULL,
    number      text     NOT NULL CHECK (length(number) BETWEEN 1 AND 30),
    els         text     NOT NULL,
    premise_id  integer  NOT NULL,
    opened_on   date,
    closed_on   date,
    residents   smallint NOT NULL CHECK (residents >= 0),
    area        numeric(8,2) NOT NULL CHECK (area > 0),
    payer_profile text   CHECK (payer_profile IN ('full', 'late', 'chronic'))
);
COMMENT ON TABLE account IS 'Лицевой счёт (ЛС) с ЕЛС ГИС ЖКХ / personal account with its unified number (ЕЛС)';

CREATE TABLE person (
    id          integer  NOT NULL,
    surname     text     NOT NULL,
    given_name  text     NOT NULL,
    patronymic  text,
    gender      char(1)  NOT NULL CHECK (gender IN ('M', 'F')),
    birth_date  date,
    phone       text,
    snils       text     CHECK (snils ~ '^[0-9]{11}$'),
    inn         text     CHECK (inn ~ '^[0-9]{12}$'),
    email       text,
    passport    text
);
COMMENT ON TABLE person IS 'Физическое лицо: ФИО, дата рождения, телефон, СНИЛС, ИНН, e-mail, паспорт (персональные данные) / person (personal data)';

CREATE TABLE account_person (
    account_id  integer  NOT NULL,
    person_id   integer  NOT NULL,
    role        text     NOT NULL CHECK (role IN ('owner', 'tenant', 'resident')),
    share       numeric(6,4) CHECK (share > 0 AND share <= 1)
);
COMMENT ON TABLE account_person IS 'Собственники и проживающие на ЛС, доля собственности / owners and residents of an account, ownership share';

CREATE TABLE account_service (
    account_id  integer  NOT NULL,
    service_id  smallint NOT NULL,
    since       date     -- empty when an export does not say
);
COMMENT ON TABLE account_service IS 'Услуги, оказываемые по ЛС / services an account receives';

CREATE TABLE meter (
    id          integer  NOT NULL,
    account_id  integer  NOT NULL,
    service_id  smallint NOT NULL,
    serial      text     NOT NULL,
    zones       smallint NOT NULL CHECK (zones BETWEEN 1 AND 3),
    capacity_digits smallint NOT NULL CHECK (capacity_digits BETWEEN 4 AND 9),
    installed_on date,
    verified_on date,
    next_verification date,
    removed_on  date,
    replaces_meter_id integer,
    CHECK (removed_on IS NULL OR removed_on >= installed_on)
);
COMMENT ON TABLE meter IS 'Индивидуальный прибор учёта (ИПУ): номер, разрядность, поверка / individual meter: serial, digits, verification';

CREATE TABLE billing_period (
    period      date     NOT NULL CHECK (extract(day FROM period) = 1),
    status      text     NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at   timestamptz
);
COMMENT ON TABLE billing_period IS 'Расчётный период (месяц); закрытый только для чтения / billing month; a closed one is read-only';

CREATE TABLE reading_source (
    id          smallint NOT NULL,
    code        text     NOT NULL,
    name        text     NOT NULL
);
COMMENT ON TABLE reading_source IS 'Откуда показание: житель, контролёр, сайт / where a reading came from';

CREATE TABLE meter_reading (
    meter_id    integer  NOT NULL,
    period      date     NOT NULL,
    taken_on    date,
    source_id   smallint NOT NULL,
    value1      numeric(14,3) NOT NULL CHECK (value1 >= 0),
    value2      numeric(14,3) CHECK (value2 >= 0),
    value3      numeric(14,3) CHECK (value3 >= 0)
);
COMMENT ON TABLE meter_reading IS 'Показания ИПУ за период, по зонам суток / meter readings per period, one value per zone';

CREATE TABLE charge_method (
    id          smallint NOT NULL,
    code        text     NOT NULL,
    name        text     NOT NULL
);
COMMENT ON TABLE charge_method IS 'Способ начисления: по прибору, по среднему, по нормативу / how a charge was computed';

CREATE TABLE charge (
    account_id  integer  NOT NULL,
    service_id  smallint NOT NULL,
    period      date     NOT NULL,
    zone        smallint NOT NULL CHECK (zone BETWEEN 0 AND 3),
    method_id   smallint NOT NULL,
    volume      numeric(14,3) NOT NULL CHECK (volume >= 0),
    tariff      numeric(12,4) NOT NULL,
    amount      numeric(14,2) NOT NULL
);
COMMENT ON TABLE charge IS 'Начисление: объём × тариф / charge: volume x tariff in force';

CREATE TABLE recalculation (
    account_id  integer  NOT NULL,
    service_id  smallint NOT NULL,
    period      date     NOT NULL,
    for_period  date     NOT NULL,
    volume      numeric(14,3) NOT NULL,
    amount      numeric(14,2) NOT NULL,
    reason      text     NOT NULL
);
COMMENT ON TABLE recalculation IS 'Перерасчёт за прошлый период / recalculation of an earlier period';

CREATE TABLE payment_agent (
    id          smallint NOT NULL,
    name        text     NOT NULL,
    commission_pct numeric(5,2) NOT NULL CHECK (commission_pct >= 0),
    registry_format text NOT NULL
);
COMMENT ON TABLE payment_agent IS 'Платёжный агент: банк, почта, касса / payment agent';

CREATE TABLE payment_registry (
    id          integer  NOT NULL,
    agent_id    smallint NOT NULL,
    registry_date date   NOT NULL,
    file_name   text     NOT NULL,
    line_count  integer  NOT NULL CHECK (line_count >= 0),
    total       numeric(14,2) NOT NULL
);
COMMENT ON TABLE payment_registry IS 'Реестр платежей агента за день с контрольной суммой / an agent''s daily payment registry with control totals';

CREATE TABLE payment (
    id          bigint   NOT NULL,
    account_id  integer  NOT NULL,
    agent_id    smallint NOT NULL,
    registry_id integer  NOT NULL,
    paid_on     date     NOT NULL,
    period      date     NOT NULL,
    amount      numeric(14,2) NOT NULL CHECK (amount > 0)
);
COMMENT ON TABLE payment IS 'Оплата жителя через агента / a resident''s payment through an agent';

CREATE TABLE balance (
    account_id  integer  NOT NULL,
    service_id  smallint NOT NULL,
    period      date     NOT NULL,
    opening     numeric(14,2) NOT NULL,
    charged     numeric(14,2) NOT NULL,
    recalculated numeric(14,2) NOT NULL,
    paid        numeric(14,2) NOT NULL,
    closing     numeric(14,2) NOT NULL
);
COMMENT ON TABLE balance IS 'Сальдо по ЛС × услуге × периоду: входящее, начислено, перерасчёт, оплачено, исходящее / balance per account x service x period';
