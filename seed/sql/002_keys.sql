-- «Одно Окно» schema, part 2: primary keys, unique keys, foreign keys and indexes.
-- Applied after a bulk load, so COPY writes into bare tables.
-- provision: parallel (a loader may run these statements over several connections: keys and indexes
-- first, then foreign keys; each is one statement, with no semicolon inside)

ALTER TABLE supplier ADD PRIMARY KEY (id);
ALTER TABLE service ADD PRIMARY KEY (id);
ALTER TABLE service ADD UNIQUE (code);
ALTER TABLE tariff ADD PRIMARY KEY (id);
ALTER TABLE norm ADD PRIMARY KEY (id);
ALTER TABLE building ADD PRIMARY KEY (id);
ALTER TABLE premise ADD PRIMARY KEY (id);
ALTER TABLE account ADD PRIMARY KEY (id);
ALTER TABLE account ADD CONSTRAINT account_number_key UNIQUE (number);
ALTER TABLE account ADD CONSTRAINT account_els_key UNIQUE (els);
ALTER TABLE person ADD PRIMARY KEY (id);
ALTER TABLE account_person ADD PRIMARY KEY (account_id, person_id);
ALTER TABLE account_service ADD PRIMARY KEY (account_id, service_id);
ALTER TABLE meter ADD PRIMARY KEY (id);
ALTER TABLE meter ADD CONSTRAINT meter_serial_key UNIQUE (service_id, serial);
ALTER TABLE billing_period ADD PRIMARY KEY (period);
ALTER TABLE reading_source ADD PRIMARY KEY (id);
ALTER TABLE meter_reading ADD PRIMARY KEY (meter_id, period);
ALTER TABLE charge_method ADD PRIMARY KEY (id);
ALTER TABLE charge ADD PRIMARY KEY (account_id, service_id, period, zone);
ALTER TABLE payment_agent ADD PRIMARY KEY (id);
ALTER TABLE payment_registry ADD PRIMARY KEY (id);
ALTER TABLE payment ADD PRIMARY KEY (id);
ALTER TABLE balance ADD PRIMARY KEY (account_id, service_id, period);

ALTER TABLE service ADD FOREIGN KEY (supplier_id) REFERENCES supplier;
ALTER TABLE tariff ADD FOREIGN KEY (service_id) REFERENCES service;
ALTER TABLE norm ADD FOREIGN KEY (service_id) REFERENCES service;
ALTER TABLE premise ADD FOREIGN KEY (building_id) REFERENCES building;
ALTER TABLE account ADD FOREIGN KEY (premise_id) REFERENCES premise;
ALTER TABLE account_person ADD FOREIGN KEY (account_id) REFERENCES account;
ALTER TABLE account_person ADD FOREIGN KEY (person_id) REFERENCES person;
ALTER TABLE account_service ADD FOREIGN KEY (account_id) REFERENCES account;
ALTER TABLE account_service ADD FOREIGN KEY (service_id) REFERENCES service;
ALTER TABLE meter ADD FOREIGN KEY (account_id) REFERENCES account;
ALTER TABLE meter ADD FOREIGN KEY (service_id) REFERENCES service;
ALTER TABLE meter ADD FOREIGN KEY (replaces_meter_id) REFERENCES meter;
ALTER TABLE meter_reading ADD FOREIGN KEY (meter_id) REFERENCES meter;
ALTER TABLE meter_reading ADD FOREIGN KEY (period) REFERENCES billing_period;
ALTER TABLE meter_reading ADD FOREIGN KEY (source_id) REFERENCES reading_source;
ALTER TABLE charge ADD FOREIGN KEY (account_id) REFERENCES account;
ALTER TABLE charge ADD FOREIGN KEY (service_id) REFERENCES service;
ALTER TABLE charge ADD FOREIGN KEY (period) REFERENCES billing_period;
ALTER TABLE charge ADD FOREIGN KEY (method_id) REFERENCES charge_method;
ALTER TABLE recalculation ADD FOREIGN KEY (account_id) REFERENCES account;
ALTER TABLE recalculation ADD FOREIGN KEY (service_id) REFERENCES service;
ALTER TABLE payment_registry ADD FOREIGN KEY (agent_id) REFERENCES payment_agent;
ALTER TABLE payment ADD FOREIGN KEY (account_id) REFERENCES account;
ALTER TABLE payment ADD FOREIGN KEY (agent_id) REFERENCES payment_agent;
ALTER TABLE payment ADD FOREIGN KEY (registry_id) REFERENCES payment_registry;
ALTER TABLE balance ADD FOREIGN KEY (account_id) REFERENCES account;
ALTER TABLE balance ADD FOREIGN KEY (service_id) REFERENCES service;
ALTER TABLE balance ADD FOREIGN KEY (period) REFERENCES billing_period;

CREATE INDEX premise_building_idx ON premise (building_id);
CREATE INDEX account_premise_idx ON account (premise_id);
CREATE INDEX account_person_person_idx ON account_person (person_id);
CREATE INDEX meter_account_idx ON meter (account_id);
CREATE INDEX payment_account_idx ON payment (account_id, paid_on);
CREATE INDEX payment_registry_idx ON payment (registry_id);
CREATE INDEX charge_period_idx ON charge (period, service_id);
CREATE INDEX balance_period_idx ON balance (period, service_id);
