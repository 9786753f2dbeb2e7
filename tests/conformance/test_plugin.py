"""The pytest plugin, driven with pytester: configuration errors exit 2 with a fix, requirement IDs
are checked at collection, the parts without a command are reported not tested, the reports carry
the requirement on each row, and editors get the live portal fixture."""

from __future__ import annotations

import re
import sys
import textwrap
import xml.etree.ElementTree as ET
from typing import Any

import orjson
import pytest
from segur.mock_portal.controls import load_spec

from tests._support.paths import ROOT, SPEC

REFERENCE = ROOT / "examples" / "reference_tool" / "segur_ref_tool.py"
INGEST = f'ingest = ["{sys.executable}", "{REFERENCE}", "ingest", "--answer", "{{answer}}", "--receipt", "{{receipt}}"]'
#: the acceptance code the reference tool reads answers with (it is written for the model's format)
TOOL_ACCEPTS = re.search(r'^ACCEPTED = "([^"]*)"', REFERENCE.read_text(encoding="utf-8"), re.M).group(1)  # type: ignore[union-attr]


def verdict(pytester: pytest.Pytester) -> dict[str, Any]:
    found: dict[str, Any] = orjson.loads((pytester.path / "segur-report" / "verdict.json").read_bytes())
    return found


def test_without_segur_the_plugin_stays_out_of_the_way(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "segur-report").exists()


def test_no_declaration_exits_2_and_says_how_to_declare(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--segur")
    assert result.ret == 2
    result.stderr.fnmatch_lines(["*no declaration found*[tool.segur]*pyproject.toml*--segur-produce COMMAND*"])


def test_command_not_found_exits_2_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", segur='produce = "horizon-export-introuvable --out {out}"\n')
    result = pytester.runpytest_subprocess("--segur")
    assert result.ret == 2
    result.stderr.fnmatch_lines(["*produce command's program 'horizon-export-introuvable' was not found*"])


def test_unknown_placeholder_exits_2_listing_the_known_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.segur]\nproduce = "true {sortie}"\n')
    result = pytester.runpytest_subprocess("--segur")
    assert result.ret == 2
    result.stderr.fnmatch_lines(["*unknown placeholder(s) {sortie}*known: {out}*"])


def test_unknown_key_exits_2(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", segur='produce = "true {out}"\ntimout = 5\n')
    result = pytester.runpytest_subprocess("--segur")
    assert result.ret == 2
    result.stderr.fnmatch_lines(["*unknown key(s) timout; known keys: deposit, env, ingest, name, produce*"])


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("timeout = 0", "*timeout: 0 is less than the minimum of 1*seconds a command may take*"),
        ("seed = true", "*seed: true is not of type*integer*"),
        ("env = { A = 1 }", "*env/A: 1 is not of type*string*"),
        ("deposit = 42", "*deposit: 42 is not valid under any of the schemas*"),
    ],
)
def test_the_declaration_is_checked_against_its_schema(pytester: pytest.Pytester, line: str, expected: str) -> None:
    pytester.makefile(".toml", segur=f'produce = "true {{out}}"\n{line}\n')
    result = pytester.runpytest_subprocess("--segur")
    assert result.ret == 2
    result.stderr.fnmatch_lines([expected])


def test_a_profile_the_spec_lacks_exits_2_naming_the_spec_s(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", segur=f'profile = "ms9"\n{INGEST}\n')
    result = pytester.runpytest_subprocess("--segur")
    assert result.ret == 2
    result.stderr.fnmatch_lines(
        [f"*profile 'ms9' is not a programme of the spec*; it has {', '.join(SPEC.programs())}*"]
    )


def test_unusable_spec_exits_2(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", segur='produce = "true {out}"\n')
    result = pytester.runpytest_subprocess("--segur", f"--segur-spec={pytester.path / 'nulle-part'}")
    assert result.ret == 2


def test_unknown_requirement_id_fails_at_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.requirement("SEG-L05")
        def test_known():
            assert True

        @pytest.mark.requirement("SEG-X99")
        def test_unknown():
            assert True
        """
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert (
        "unknown requirement ID(s): SEG-X99 on test_unknown_requirement_id_fails_at_collection.py::test_unknown"
        in output
    )
    result.stdout.no_fnmatch_line("*passed*")


def test_known_requirement_ids_run_and_reach_junit(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.requirement("SEG-L05")
        def test_amounts():
            assert round(100 * 1.2, 2) == 120
        """
    )
    result = pytester.runpytest_subprocess("--junitxml=junit.xml")
    result.assert_outcomes(passed=1)
    properties = ET.parse(pytester.path / "junit.xml").getroot().findall(".//property")
    assert [(p.get("name"), p.get("value")) for p in properties] == [("requirement", "SEG-L05")]


@pytest.mark.skipif(
    SPEC.accepted_code != TOOL_ACCEPTS,
    reason=f"examples/reference_tool reads an answer's lines as accepted when their code is {TOOL_ACCEPTS} (the "
    f"model's); the spec in force accepts with {SPEC.accepted_code}, so the tool's receipts misread every line",
)
def test_only_ingest_declared_runs_the_consumer_part(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", segur=f'name = "Lecteur seul"\nversion = "0.3"\nseed = 7\n{INGEST}\n')
    result = pytester.runpytest_subprocess("--segur", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()[-2000:]
    found = verdict(pytester)
    assert found["verdict"] == "partiel"
    assert found["parties"] == ["consumer"] and found["partiesNonTestees"] == ["producer", "deposit"]
    assert found["outil"]["nom"] == "Lecteur seul" and found["outil"]["version"] == "0.3"
    assert found["graine"] == 7 and found["kit"]["nom"] == "segur-conformance-kit"
    assert found["specification"]["id"] == "segur-ms-v1"
    rows = found["exigences"]
    assert all(rows[rid]["statut"] == "passed" for rid in ("SEG-C01", "SEG-C02", "SEG-C03", "SEG-C04"))
    not_tested = {entry["id"]: entry["raisons"] for entry in found["exigencesNonTestees"]}
    assert "no produce command declared" in not_tested["SEG-L05"][0]
    assert "no deposit command declared" in not_tested["SEG-D01"][0]
    assert "portal-side" in not_tested["SEG-W01"][0]
    coverage = (pytester.path / "segur-report" / "coverage.md").read_text(encoding="utf-8")
    model = load_spec(ROOT / "fixtures" / "segur-ms-v1")
    line_codes = sum(1 for entry in model.codes.values() if entry.level == "line" and entry.code != model.accepted_code)
    assert f"| SEG-C01 | consumer | passed | {line_codes} |" in coverage  # one answer per line code


def test_a_wrong_receipt_is_not_conformant_and_the_report_names_the_requirement(pytester: pytest.Pytester) -> None:
    tool = pytester.makepyfile(
        faux_lecteur=textwrap.dedent(
            """
            import json, sys
            answer = json.load(open(sys.argv[1], encoding="utf-8"))
            if "lignes" in answer:
                receipt = {
                    "fichier": {k: answer[k] for k in ("statut", "codetraitement", "libelletraitement")},
                    # every line recorded accepted: the rejections are lost
                    "lignes": [
                        {"numLigne": l["numLigne"], "referenceLigne": l["referenceLigne"], "etat": "acceptee",
                         "numeroDemande": l.get("numeroDemande", "?"), "codetraitement": "0000",
                         "libelletraitement": l["libelletraitement"]}
                        for l in answer["lignes"]
                    ],
                }
            else:
                receipt = {"demandes": [{"numeroDemande": r["numeroDemande"], "statut": r["statut"], "motif": r["motif"]}
                                        for r in answer["demandes"]]}
            json.dump(receipt, open(sys.argv[2], "w", encoding="utf-8"))
            """
        )
    )
    pytester.makefile(".toml", segur=f'ingest = ["{sys.executable}", "{tool}", "{{answer}}", "{{receipt}}"]\n')
    result = pytester.runpytest_subprocess("--segur", "-p", "no:cacheprovider")
    assert result.ret == 1
    found = verdict(pytester)
    assert found["verdict"] == "non conforme"
    assert found["exigencesEnEchec"] == ["SEG-C01", "SEG-C03"]
    result.stdout.fnmatch_lines(["*line 2: etat 'acceptee', the portal says 'rejetee'*", "*FAILED SEG-C01*"])
    html = (pytester.path / "segur-report" / "report.html").read_text(encoding="utf-8")
    assert "Exigence" in html and "SEG-C01" in html and "seed, slide 22" in html
    junit = ET.parse(pytester.path / "segur-report" / "junit.xml").getroot()
    assert {p.get("value") for p in junit.iter("property")} >= {"SEG-C01", "SEG-C02", "SEG-C03", "SEG-C04"}


def test_editors_get_the_live_portal_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import requests

        @pytest.mark.requirement("SEG-D01")
        def test_my_client_logs_in(segur_portal):
            response = requests.post(
                segur_portal.url + "/api/login",
                json={"login": segur_portal.login, "password": segur_portal.password},
                timeout=10,
            )
            assert response.status_code == 200
            assert segur_portal.journal()[-1]["chemin"] == "/api/login"
            assert segur_portal.admin("GET", "/admin/clock")["maintenant"].startswith("START")

        @pytest.mark.requirement("SEG-L05")
        def test_generated_deposits(segur_generators, tmp_path):
            manifest = segur_generators.write(segur_generators.bundle(size=4, seed=3), tmp_path / "ok")
            assert manifest.answer["recapitulatif"]["acceptees"] == 4
            answer = segur_generators.answer(segur_generators.broken("amount-ttc", lines=[2]), tmp_path / "ko")
            ttc = segur_generators.spec.code_of("amount-ttc")
            assert [line["codetraitement"] for line in answer.to_json()["lignes"]][2] == ttc
        """.replace("START", f"{SPEC.default_deposit_time(None, SPEC.deposit_types['avance']):%Y-%m-%dT%H:%M}")
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_segur_certify_maps_a_bad_declaration_to_exit_2(pytester: pytest.Pytester) -> None:
    from click.testing import CliRunner

    from segur.cli import main

    pytester.makefile(".toml", segur="deposit = 42\n")  # pytester runs in its own folder
    result = CliRunner().invoke(main, ["certify", "-p", "no:cacheprovider"])
    assert result.exit_code == 2


def test_an_unrelated_run_imports_nothing_of_the_kit_beyond_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        HEAVY = ("segur.conformance.session", "segur.mock_portal.controls", "segur.generators.strategies",
                 "segur.mock_portal.app", "faker", "fpdf", "flask", "jsonschema_rs", "pypdf")

        def test_nothing_heavy_loaded():
            assert "segur.conformance.plugin" in sys.modules
            assert [name for name in HEAVY if name in sys.modules] == []
        """
    )
    # Faker's and schemathesis's own pytest plugins import their packages: they are left out here
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:faker", "-p", "no:schemathesis")
    result.assert_outcomes(passed=1)


def test_a_run_where_no_test_ran_is_never_conformant(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", segur=f"{INGEST}\n")
    result = pytester.runpytest_subprocess("--segur", "-p", "no:cacheprovider", "-k", "aucun_test_ne_porte_ce_nom")
    assert result.ret == 2
    found = verdict(pytester)
    assert found["verdict"] == "non exécuté"
    assert "no test of the conformance suite ran" in found["erreursDuKit"][0]
    coverage = (pytester.path / "segur-report" / "coverage.md").read_text(encoding="utf-8")
    assert "**non exécuté**" in coverage and "conforme**" not in coverage


def test_segur_certify_without_a_declaration_fails_at_once_naming_its_options(pytester: pytest.Pytester) -> None:
    from click.testing import CliRunner

    from segur.cli import main

    result = CliRunner().invoke(main, ["certify"])
    assert result.exit_code == 2
    assert "no declaration found" in result.output
    assert "--produce COMMAND, --ingest COMMAND, --deposit COMMAND (--config FILE" in result.output
    assert "--segur-produce" not in result.output
    assert not (pytester.path / "segur-report").exists()  # pytest was never started


#: a produce command written with the kit itself (any spec): two valid avances, the first one's
#: order-form date replaced by text that is no date; argv[2] says what else to break
PRODUCE = """
import io, sys, zipfile
from pathlib import Path
import orjson
from segur.generators.documents import bundle_pieces
from segur.generators.strategies import make_bundle
from segur.mock_portal.controls import load_spec
from segur.mock_portal.controls.spec import resolve
from segur.mock_portal.controls.writer import put

out, what = Path(sys.argv[1]), sys.argv[2]
spec = load_spec()
profile = next(p.name for p in spec.profiles.values() if p.deposit_type == "avance")
drawn = make_bundle(7, profile=profile, size=2, spec=spec)
document = drawn.document
if what == "date":
    put(resolve(document, spec.document["requests"].path)[0], spec.fields["bdc_date"].path, "pas une date")
(out / "lot.json").write_bytes(orjson.dumps(document))
archive = io.BytesIO()
with zipfile.ZipFile(archive, "w") as zipped:
    for name, content in bundle_pieces(drawn.requests, spec, seed=7):
        zipped.writestr(name, content)
(out / "lot.zip").write_bytes(archive.getvalue())
choices = {"typeDemande": "avance", "tauxTva": drawn.taux_tva, "numeroAns": drawn.requests[0]["ans_number"]}
if what == "choices":
    choices["tauxTva"] = "vingt"
(out / "lot.deposit.json").write_bytes(orjson.dumps(choices))
"""


def _producer(pytester: pytest.Pytester, what: str) -> dict[str, Any]:
    pytester.makefile(".py", produce_lot=PRODUCE)
    pytester.makefile(".toml", segur=f'produce = ["{sys.executable}", "produce_lot.py", "{{out}}", "{what}"]\n')
    result = pytester.runpytest_subprocess("--segur", "-p", "no:cacheprovider")
    assert result.ret == 1, result.outlines[-30:]
    return verdict(pytester)


def _rules_reading(field: str) -> set[str]:
    from segur.mock_portal.controls.rules import RULE_READS

    return {
        rid
        for code, entry in SPEC.codes.items()
        if entry.rule and field in RULE_READS.get(entry.rule, ())
        for rid in entry.requirements
        if entry.rule not in ("line-format", "line-required", "amount-decimals")
    }


def test_a_rule_whose_field_is_unreadable_is_not_evaluable_never_passed(pytester: pytest.Pytester) -> None:
    """An order-form date that is no date: the schema's requirement fails; the requirements of the
    rules that read that date are « non évaluable » (with the line and field), never passed."""
    found = _producer(pytester, "date")
    dated = _rules_reading("bdc_date")
    assert dated, "the spec binds no rule reading the order form's date"
    listed = {row["id"]: row["raisons"] for row in found["exigencesNonEvaluables"]}
    for rid in dated:
        assert found["exigences"][rid]["statut"] == "not evaluable", (rid, found["exigences"][rid])
        assert "non évaluable" in listed[rid][0] and "unreadable" in listed[rid][0]
    assert found["exigencesEnEchec"], "the file's own format problem still fails"
    assert not set(found["exigencesEnEchec"]) & dated


def test_a_deposit_choice_off_its_format_fails_the_requirement_of_the_rule_that_reads_it(
    pytester: pytest.Pytester,
) -> None:
    """X.deposit.json with a VAT rate that is no number: the requirement of the VAT rule fails,
    naming the file, the key and the kit's schema; no other requirement is blamed for it."""

    found = _producer(pytester, "choices")
    code = SPEC.code_of("vat-deposit")
    assert code is not None
    expected = set(SPEC.codes[code].requirements)
    assert set(found["exigencesEnEchec"]) == expected, found["exigencesEnEchec"]
    reasons = " ".join(r for rid in expected for r in found["exigences"][rid]["raisons"])
    report = (pytester.path / "segur-report" / "junit.xml").read_text(encoding="utf-8")
    assert "lot.deposit.json: tauxTva" in report and "deposit.schema.json" in report, reasons


def test_a_collection_error_in_the_editors_tests_is_reported_not_an_internal_error(
    pytester: pytest.Pytester,
) -> None:
    """pytest-html gets a collection report (no user properties) for a module that fails to import."""
    pytester.makepyfile(test_broken="import module_qui_n_existe_pas\n")
    pytester.makefile(".toml", segur=INGEST + "\n")
    result = pytester.runpytest_subprocess("--segur", "-p", "no:cacheprovider", "--segur-part=consumer", ".")
    assert "INTERNALERROR" not in "\n".join(result.outlines + result.errlines)
    assert (pytester.path / "segur-report" / "report.html").stat().st_size > 0
