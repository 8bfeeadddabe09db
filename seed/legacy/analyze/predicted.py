"""Which kinds of problems of `import check` predict each invariant `provision check` runs on the books
loaded from the export (:data:`seed.check.CHECKS`): whatever the check will find after the load, the
analysis reports before it, at the rows' file and line.

An invariant with no kind is one the load itself keeps, whatever the export holds (the reason says how);
``comparable`` says the check and its kinds count the same rows, so the analysis reports at least as many.
"""

from __future__ import annotations

from typing import NamedTuple


class Prediction(NamedTuple):
    kinds: tuple[str, ...]  # the analysis's kinds that report what would violate the check
    comparable: bool  # the kinds count at least the rows the check counts
    how: str  # how the analysis predicts it, or why the load cannot violate it


PREDICTED: dict[str, Prediction] = {
    "balance_reconciles": Prediction(
        ("balance_not_reconciling",), True, "every balance row whose closing differs from the movements"
    ),
    "balance_carries_over": Prediction(
        ("balance_carry_over",), True, "each month's opening against the closing of the row the load keeps"
    ),
    "balance_matches_charges": Prediction((), False, "not for imports: exports carry charged totals"),
    "balance_matches_recalculations": Prediction((), False, "not for imports: exports carry recalculated totals"),
    "balance_matches_payments": Prediction(
        ("paid_not_payments",), True, "per account and month: paid over the services against the payments"
    ),
    "readings_never_decrease": Prediction(
        ("reading_decrease",), True, "each zone's value against the meter's previous one, repeated months left out"
    ),
    "readings_within_meter_life": Prediction(
        ("reading_before_install", "reading_after_removal"), True, "each reading's date against its meter's"
    ),
    "readings_of_known_meters": Prediction((), False, "the load leaves out readings of unknown meters"),
    "charge_is_volume_times_tariff": Prediction((), False, "imports carry no charges"),
    "charge_tariff_in_force": Prediction((), False, "imports carry no charges"),
    "payment_account_known": Prediction((), False, "the load leaves out payments of unknown accounts"),
    "payment_agent_known": Prediction((), False, "the load makes an agent and a registry for every payment"),
    "registry_totals_match": Prediction((), False, "the load sums each registry from its payments, in kopecks"),
    "registry_lines_accounted": Prediction((), False, "imported registries carry no file totals of their own"),
    "account_number_unique": Prediction((), False, "the load leaves out repeated numbers; pseudonyms are unique"),
    "els_format": Prediction(
        ("els_format",), True, "ЕЛС not of 10 characters (pseudonyms keep the length and are unique)"
    ),
    "meter_serial_unique": Prediction((), False, "the load leaves out repeated serials; pseudonyms are unique"),
    "snils_check_digits": Prediction((), False, "pseudonyms carry valid check digits (invalid_snils: the export's)"),
    "inn_check_digits": Prediction((), False, "pseudonyms carry valid check digits (invalid_inn: the export's)"),
    "ownership_shares_sum_to_one": Prediction(("shares_not_one",), True, "the owners' shares of each account"),
    "living_area_within_total": Prediction(
        ("living_over_total",), True, "per account (a premise sums its accounts' areas)"
    ),
    "closed_account_settled": Prediction(
        ("closed_account_balance",), True, "the closing over all services in the account's last month"
    ),
}
