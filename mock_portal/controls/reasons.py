"""Why a file could not be read, in French: the JSON parser's, the PDF reader's and the zip
reader's messages (in English) said the way the portal's labels and pages speak.

A label such as « Fichier rejeté : JSON invalide ({detail}). » quotes one of these; an editor
reads it on a French page, so no parser's own English words reach it. A message this module
does not know gets a French sentence of its kind (the parser's text is left out, never shown).
"""

from __future__ import annotations

import re

#: orjson's messages (its decoder's), by their start, as an editor would read them
_JSON = (
    (r"^unexpected end of data", "fin du fichier inattendue (le texte s'arrête avant la fin du JSON)"),
    (r"^Input is a zero-length, empty document", "fichier vide"),
    (r"^unexpected character, expected ':' after key", "deux-points « : » attendu après un nom de champ"),
    (r"^unexpected character, expected a string key", "nom de champ entre guillemets attendu"),
    (r"^unexpected character, expected ',' or '\]'", "virgule « , » ou crochet « ] » attendu"),
    (r"^unexpected character, expected ',' or '\}'", "virgule « , » ou accolade « } » attendue"),
    (r"^unexpected character, expected a JSON value", "valeur JSON attendue (texte, nombre, objet, liste…)"),
    (r"^unexpected character", "caractère inattendu"),
    (r"^trailing comma is not allowed", "virgule en trop avant la fin d'une liste ou d'un objet"),
    (r"^unexpected control character in string", "caractère de contrôle dans un texte (à échapper)"),
    (r"^invalid literal", "mot inconnu (seuls true, false et null sont admis)"),
    (r"^unexpected content after document", "contenu en trop après la fin du document JSON"),
    (r"^invalid escaped sequence in string", "séquence d'échappement invalide dans un texte"),
    (r"^(no low surrogate|lone leading surrogate|invalid unicode)", "caractère Unicode invalide dans un texte"),
    (r"^str is not valid UTF-8", "texte qui n'est pas en UTF-8"),
    (r"^number is infinity", "nombre trop grand"),
    (r"^(no digit after|invalid number)", "nombre mal écrit"),
    (r"^recursion limit", "imbrication trop profonde"),
)

#: pypdf's messages (its exceptions'), by a fragment
_PDF = (
    (r"EOF marker not found", "marqueur de fin %%EOF absent : fichier tronqué"),
    (r"(Stream has ended unexpectedly|unexpected end|ended unexpectedly)", "fichier tronqué"),
    (r"startxref", "table des références croisées introuvable : fichier tronqué ou endommagé"),
    (r"(xref|cross.reference)", "table des références croisées endommagée"),
    (r"(trailer|/Root)", "dictionnaire de fin de fichier endommagé"),
    (r"(password|encrypt|decrypt)", "PDF chiffré"),
)

#: the zip reader's messages
_ZIP = (
    (r"File is not a zip file", "ce n'est pas une archive zip"),
    (r"(Truncated|EOF|end of data)", "archive tronquée"),
    (r"Bad magic number", "en-tête de fichier endommagé"),
    (r"Bad CRC-32", "somme de contrôle CRC-32 incorrecte : contenu endommagé"),
    (r"(encrypted|password)", "fichier protégé par un mot de passe"),
    (r"(compression method|compression type)", "méthode de compression non prise en charge"),
    (r"(decompressing|invalid (stored )?block|invalid distance|incorrect header)", "données compressées endommagées"),
    (r"(More than one|multi-disk|span)", "archive en plusieurs volumes, non prise en charge"),
    (r"(Zip64|LargeZipFile)", "archive Zip64 non prise en charge"),
)


def _first(table: tuple[tuple[str, str], ...], message: str, default: str) -> str:
    for pattern, french in table:
        if re.search(pattern, message, flags=re.IGNORECASE):
            return french
    return default


def json_reason(message: str, line: int, column: int) -> str:
    """Why the JSON parser stopped, and where: « fin du fichier inattendue …, ligne 1, colonne 6 »."""
    return f"{_first(_JSON, message, 'syntaxe JSON invalide')}, ligne {line}, colonne {column}"


def pdf_reason(error: BaseException) -> str:
    """Why the PDF reader could not open a file (« fichier endommagé : fichier tronqué »)."""
    return "fichier endommagé : " + _first(_PDF, f"{type(error).__name__} {error}", "structure illisible")


def zip_reason(error: BaseException) -> str:
    """Why the zip reader could not read an archive, or a member of it."""
    if isinstance(error, OSError) and not str(error):
        return "lecture impossible"
    return _first(_ZIP, f"{type(error).__name__} {error}", "archive endommagée")
