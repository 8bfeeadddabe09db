"""The anonymization rules a profile's ``[anonymize]`` table may set, and their treatments: here alone, so
that reading a profile does not load the export's readers."""

from __future__ import annotations

# rule -> the allowed treatments, the first being the default
RULES: dict[str, tuple[str, ...]] = {
    "names": ("pseudonym",),
    "birth_date": ("shift", "drop"),
    "phone": ("pseudonym", "drop"),
    "email": ("pseudonym", "drop"),
    "snils": ("pseudonym", "drop"),
    "inn": ("pseudonym", "drop"),
    "passport": ("pseudonym", "drop"),
    "account_number": ("pseudonym", "keep"),
    "els": ("pseudonym", "keep"),
    "meter_serial": ("pseudonym", "keep"),
    "address": ("replace", "keep"),
}
DEFAULT_RULES = {name: options[0] for name, options in RULES.items()}
