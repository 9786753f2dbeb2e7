"""The checks by hand the kit knows (:mod:`.hand_checks`): their names, the piece roles each
reads, what it looks for and the keys its entry in the spec's ``files.handChecks`` gives.

A table apart from the checks themselves: the spec reader checks a spec folder's entries against
it, and a spec's loading need not import the text reading.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["HAND_CHECKS", "HandCheckDoc"]


class HandCheckDoc(NamedTuple):
    #: the piece roles the check reads
    roles: tuple[str, ...]
    what: str
    #: the keys its entry in the spec's file must give (besides ``label`` and ``source``)
    keys: tuple[str, ...]


#: every check by hand the kit knows, by name
HAND_CHECKS: dict[str, HandCheckDoc] = {
    "bdc-state-mention": HandCheckDoc(
        ("order_form",), "the order form lacks the State's mention (its words: 'mention')", ("mention",)
    ),
    "bdc-amount-shown": HandCheckDoc(
        ("order_form",),
        "the order form shows no Ségur amount, a zero one, or another than the file's bdc_segur_amount; the amount "
        "is read after the mention or one of 'amountLabels'",
        ("amountLabels",),
    ),
    "bdc-signature": HandCheckDoc(
        ("order_form",), "no signature block of the client (one of 'words', by hand or electronic)", ("words",)
    ),
    "invoice-va-signer": HandCheckDoc(
        ("va", "invoice"),
        "the name on the invoice (after one of 'invoiceLabels') is not the VA's signer (after one of 'vaLabels')",
        ("vaLabels", "invoiceLabels"),
    ),
    "va-mss-indicator": HandCheckDoc(
        ("va",),
        "the VA's MSS indicator (after one of 'labels', its words 'values' by the kit's keys case_1, case_2) is "
        "not the file's mss_indicator",
        ("labels", "values"),
    ),
    "invoice-segur-zero": HandCheckDoc(
        ("invoice",), "the invoice's Ségur total (after one of 'amountLabels') is 0 € or not read", ("amountLabels",)
    ),
}
