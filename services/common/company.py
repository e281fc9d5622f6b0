"""Who runs the platform, as its documents name it: the seller on invoices
(BI-3) and the sender of letters (NO-1).

A French invoice between businesses names the seller by its company name,
legal form and share capital, its registration (RCS and town), SIRET, VAT
number and registered office (Code de commerce, art. L441-9 and R123-237).
The defaults are demonstration values; a deployment sets its own with the
`PMC_SELLER_*` variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Company:
    """A company's identity as printed on invoices and letters."""

    name: str = "La Poste — Passer mon code"
    legal_form: str = "SA"
    capital: str = "5 620 325 816 €"
    rcs: str = "RCS Paris 356 000 000"
    siret: str = "35600000000048"
    vat_number: str = "FR39356000000"
    department: str = "Service des inscriptions"
    street: str = "9 rue du Colonel Pierre Avia"
    postal_code: str = "75015"
    city: str = "Paris"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Company:
        d = cls()
        return cls(
            **{
                name: env.get(f"PMC_SELLER_{name.upper()}", getattr(d, name))
                for name in cls.__dataclass_fields__
            }
        )

    @property
    def address_lines(self) -> tuple[str, str]:
        return self.street, f"{self.postal_code} {self.city}"

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
