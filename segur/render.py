"""Readable terminal output for the ``segur`` command (colours only on a terminal)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from segur.mock_portal.controls import ACCEPTED, INCOMPLETE, REJECTED, Answer, Spec
from segur.mock_portal.controls.money import euros

if TYPE_CHECKING:
    from segur.mock_portal.controls.hand_checks import HandWarning

_STATUS = {ACCEPTED: ("acceptée", "green"), INCOMPLETE: ("incomplète", "yellow")}
_WIDTH = 100


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of ``width`` at most (a label or a message; none when there is none)."""
    import textwrap  # only a table with codes or warnings wraps

    return textwrap.wrap(text, width)


def _when(answer: Answer) -> str:
    return answer.at.astimezone(answer.spec.timezone).strftime("%d/%m/%Y %H:%M")


def answer_table(
    answer: Answer, bundle: Path, attachments: Path | None, *, corrected_at: datetime | None = None
) -> None:
    """The answer as the portal's table, a line per code (written at once: 200 lines, one write)."""
    click.echo("\n".join(_answer_lines(answer, bundle, attachments, corrected_at)))


def _answer_lines(answer: Answer, bundle: Path, attachments: Path | None, corrected_at: datetime | None) -> list[str]:
    spec = answer.spec
    lines: list[str] = []
    echo = lines.append  # the table is written at once by the caller
    source = f"{bundle}" + (f" + {attachments}" if attachments else "")
    echo(click.style(f"Contrôle du dépôt : {source}", bold=True))
    model = " (modèle)" if spec.model else ""
    echo(f"  Spécification : {spec.label}{model}")
    profile = answer.profile.libelle if answer.profile else "indéterminé"
    echo(f"  Profil : {profile}")
    echo(
        f"  Dépôt : {answer.type_demande}, ANS {answer.numero_ans or '(aucun)'}, TVA {answer.taux_tva:g} %, "
        f"le {_when(answer)} ({spec.timezone.key}), mode {answer.mode}"
    )
    if corrected_at is not None:
        status = spec.statuts.get("aModifier", "")
        echo(f"  Correction d'une demande « {status} » le {corrected_at.astimezone(spec.timezone):%d/%m/%Y %H:%M}")
    echo("")
    if answer.file_rejected:
        first = answer.file_findings[0]
        echo(click.style(f"Fichier rejeté pour non-conformité : {first.code}", fg="red", bold=True))
        for finding in answer.file_findings:
            echo(f"  {finding.code}  {finding.label}")
        return lines
    echo(click.style(f"Fichier : {spec.accepted_code} {spec.file_accepted_label}", fg="green"))
    echo("")
    echo(f"{'Ligne':>5}  {'Référence':<20} {'Code':<5} Libellé")
    for line in answer.lines:
        label, colour = _STATUS.get(line.status, ("rejetée", "red"))
        reference = str(line.reference if line.reference is not None else "")[:20]
        rows = line.findings or []
        if not rows:
            text = spec.codes[spec.accepted_code].label
            number = f" — n° {line.numero_demande}" if line.numero_demande else ""
            echo(
                f"{line.number:>5}  {reference:<20} "
                + click.style(f"{spec.accepted_code:<5}", fg=colour)
                + f" {text}{number}"
            )
            continue
        for position, finding in enumerate(rows):
            head = f"{line.number:>5}  {reference:<20} " if position == 0 else " " * 28
            wrapped = _wrap(finding.label, _WIDTH - 34) or [""]
            echo(head + click.style(f"{finding.code:<5}", fg=colour) + f" {wrapped[0]}")
            for more in wrapped[1:]:
                echo(" " * 34 + more)
        if line.status == INCOMPLETE:
            number = f", n° {line.numero_demande}" if line.numero_demande else ""
            echo(" " * 34 + click.style(f"→ demande {label}{number}", fg=colour))
    echo("")
    accepted_cents = answer.accepted_cents()
    echo(
        f"Récapitulatif : {len(answer.lines)} demande(s) — {answer.count(ACCEPTED)} acceptée(s), "
        f"{answer.count(REJECTED)} rejetée(s), {answer.count(INCOMPLETE)} incomplète(s) — "
        f"montant demandé accepté {euros(accepted_cents)} €"
    )
    return lines


def warnings_table(warnings: Sequence[HandWarning]) -> None:
    """The checks a gestionnaire makes by hand, read in the pieces: warnings, never a code."""
    click.echo("\n".join(_warning_lines(warnings)))


def _warning_lines(warnings: Sequence[HandWarning]) -> list[str]:
    lines: list[str] = []
    echo = lines.append  # the table is written at once by the caller
    echo("")
    echo(
        click.style(
            "Avertissements (ce que le gestionnaire vérifie à la main dans les pièces, jamais un code)", bold=True
        )
    )
    if not warnings:
        echo("  aucun : les pièces portent ce que le gestionnaire y cherche")
        return lines
    for warning in warnings:
        wrapped = _wrap(warning.message, _WIDTH - 34) or [""]
        echo(f"{warning.line + 1:>5}  {warning.check:<20} " + click.style("avert.", fg="yellow") + f" {wrapped[0]}")
        for more in wrapped[1:]:
            echo(" " * 34 + more)
    echo(
        f"{len(warnings)} avertissement(s) : motifs probables d'une demande « À modifier » après le dépôt ; "
        "vérifiez ces pièces avant de déposer."
    )
    return lines


def spec_summary(spec: Spec) -> None:
    echo = click.echo
    echo(click.style(f"{spec.title}", bold=True))
    echo(f"  {spec.label} — {spec.root}")
    echo(f"  formats : {', '.join(spec.format_versions)} ; fuseau : {spec.timezone.key}")
    echo("Profils et guichets :")
    for name, profile in spec.profiles.items():
        window = spec.windows.get(name)
        dates = ""
        if window:
            fmt = "%d/%m/%Y %H:%M"
            dates = (
                f"ouvert du {window.opens.strftime(fmt)} au {window.closes.strftime(fmt)}, "
                f"dépôt par défaut {window.default_deposit.strftime(fmt)}"
            )
        echo(f"  {name:<12} {profile.libelle:<38} {dates}")
    fmt = "%d/%m/%Y %H:%M"
    for name, af in spec.afs.items():
        arrete = ""
        if af.arrete is not None:
            arrete = f", arrêté du {af.arrete:%d/%m/%Y}"
            arrete += f" publié au JO du {af.publication:%d/%m/%Y}" if af.publication is not None else ""
        limit = (
            f" ; signé avant le référencement du logiciel : au plus {af.bdc_days_before_dossier} jours avant son "
            "dossier complet"
            if af.bdc_days_before_dossier is not None
            else ""
        )
        echo(
            f"Appel à financement {name} ({af.libelle}{arrete}) : ouvert le {af.opens.strftime(fmt)} "
            f"(bon de commande signé avant : refusé{limit})"
        )
    if spec.mss_from:
        echo(f"Indicateur Déploiement MSS obligatoire à partir du {spec.mss_from.strftime(fmt)}")
    echo("Limites : " + ", ".join(f"{k} = {v}" for k, v in spec.limits.items()))
    echo("Taux de TVA : " + ", ".join(f"{rate:g} %" for rate in spec.vat_rates))
    for kind, roles in spec.pieces.required.items():
        echo(f"Pièces exigées ({kind}) : " + ", ".join(spec.pieces.roles[role] for role in roles))
    echo("Catégories ESMS éligibles et plafonds" + (" (valeurs du modèle)" if spec.ceilings_model else "") + " :")
    for software, table in spec.ceilings.items():
        listed = ", ".join(
            f"{category} {euros(ceiling.ht)} € HT / {euros(ceiling.ttc)} € TTC" for category, ceiling in table.items()
        )
        echo(f"  {software} : {listed}")
    echo("  (montant demandé comparé au plafond HT × (1 + taux de TVA du dépôt), arrondi au centime)")
    echo("Statuts : " + " ; ".join(f"{key} « {label} »" for key, label in spec.statuts.items()))
    echo(f"Codes : {len(spec.codes)} (motif {spec.code_pattern}) ; exigences : {len(spec.requirements)}")
    if spec.hand_checks:
        echo(
            "Contrôles faits à la main par le gestionnaire (avertissements, jamais un code) : "
            + ", ".join(spec.hand_checks)
        )
    if spec.unenforced:
        echo("Règles absentes de ce format : " + ", ".join(spec.unenforced))


def codes_table(spec: Spec) -> None:
    for entry in spec.codes.values():
        click.echo(f"{entry.code}  {entry.level:<10} {entry.rule or '':<28} {entry.label}")
