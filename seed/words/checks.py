"""The invariants of the books (seed.check.CHECKS, by name): what each demands; why a check does not apply to
imported books (seed.check.NOT_FOR_IMPORTS). Their English is the one seed.check reports: it has no other."""

from __future__ import annotations

from seed.words.word import Word

# check -> what must hold
RULES: dict[str, Word] = {
    "balance_reconciles": Word(
        "исходящее сальдо = входящее + начислено + перерасчёт − оплачено (по счёту, услуге, периоду)",
        "closing = opening + charged + recalculated - paid for every account x service x period",
    ),
    "balance_carries_over": Word(
        "входящее сальдо месяца равно исходящему сальдо предыдущего",
        "the next period's opening equals this period's closing",
    ),
    "balance_matches_charges": Word(
        "начислено в сальдо равно сумме начислений счёта, услуги и периода",
        "balance.charged equals the sum of the charges of that account, service and period",
    ),
    "balance_matches_recalculations": Word(
        "перерасчёт в сальдо равен сумме перерасчётов", "balance.recalculated equals the sum of the recalculations"
    ),
    "balance_matches_payments": Word(
        "оплачено в сальдо по всем услугам счёта равно платежам периода",
        "an account's paid amounts over its services equal its payments in the period",
    ),
    "readings_never_decrease": Word(
        "показания счётчика не уменьшаются (кроме перехода через ноль)",
        "a meter's readings never go down, except a rollover past its digits capacity",
    ),
    "readings_within_meter_life": Word(
        "показания не датированы раньше установки или позже снятия счётчика",
        "no reading is dated before its meter's installation or after its removal",
    ),
    "readings_of_known_meters": Word(
        "каждое показание относится к существующему счётчику", "every reading belongs to an existing meter"
    ),
    "charge_is_volume_times_tariff": Word(
        "начисление = объём × тариф, с округлением до копейки", "charge amount = volume x tariff, rounded to the kopeck"
    ),
    "charge_tariff_in_force": Word(
        "начисление по тарифу, действующему для услуги, зоны и периода",
        "a charge uses the tariff in force for its service, zone and period",
    ),
    "payment_account_known": Word(
        "каждый платёж относится к существующему лицевому счёту", "every payment belongs to an existing account"
    ),
    "payment_agent_known": Word(
        "каждый платёж поступил через известного платёжного агента и реестр",
        "every payment comes through a known agent and registry",
    ),
    "registry_totals_match": Word(
        "число строк и сумма реестра равны его платежам",
        "each payment registry's line count and total match its payments",
    ),
    "registry_lines_accounted": Word(
        "строки и сумма файла реестра равны его платежам и невыясненным строкам",
        "a loaded registry file's line count and total equal its payments and its unassigned suspense lines",
    ),
    "account_number_unique": Word("номера лицевых счетов не повторяются", "account numbers are unique"),
    "els_format": Word("ЕЛС из 10 знаков и не повторяется", "ЕЛС is 10 characters and unique"),
    "meter_serial_unique": Word(
        "заводские номера счётчиков не повторяются в пределах услуги", "meter serials are unique per service"
    ),
    "snils_check_digits": Word("у каждого СНИЛС верное контрольное число", "every СНИЛС carries valid check digits"),
    "inn_check_digits": Word(
        "у каждого ИНН (граждан и поставщиков) верное контрольное число",
        "every ИНН (persons and suppliers) carries valid check digits",
    ),
    "ownership_shares_sum_to_one": Word(
        "доли собственников счёта в сумме равны 1 (с точностью до тысячной)",
        "the owners' shares of an account add up to 1 (to a thousandth: thirds are stored as 0.3333)",
    ),
    "living_area_within_total": Word(
        "жилая площадь помещения не больше общей", "a premise's living area does not exceed its total area"
    ),
    "closed_account_settled": Word(
        "на закрытом лицевом счёте нет остатка", "a closed account has no balance left in its last period"
    ),
}

# check -> why imported books are not held to it
SKIPPED: dict[str, Word] = {
    "balance_matches_charges": Word(
        "в выгрузке начисления даны итогом в сальдо, без отдельных начислений",
        "imported books carry the charged totals in their balances, not the charges",
    ),
    "balance_matches_recalculations": Word(
        "в выгрузке перерасчёты даны итогом, без отдельных перерасчётов",
        "imported books carry recalculated totals, not the recalculations",
    ),
}
