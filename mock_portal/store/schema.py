"""The tables of the mock portal's state, in SQLAlchemy Core: one description for SQLite and
PostgreSQL. The layout of release 0.2.0 plus what :mod:`.migrations` adds (its version is
:data:`VERSION`); a new database is created at once in this layout."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)

#: the schema version this code writes (``meta`` key ``schema_version``; absent: 0.2.0's layout)
VERSION = 4

metadata = MetaData()

#: an id: SQLite's INTEGER PRIMARY KEY (the rowid), a 64-bit integer on PostgreSQL
Id = BigInteger().with_variant(Integer(), "sqlite")


def _id() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


meta = Table("meta", metadata, Column("key", Text, primary_key=True), Column("value", Text, nullable=False))

editors = Table(
    "editors",
    metadata,
    _id(),
    Column("login", Text, unique=True, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("siret", Text, nullable=False),
    Column("raison_sociale", Text, nullable=False),
    Column("numero_enrolement", Text, unique=True, nullable=False),
    Column("created_at", Text, nullable=False),
)

#: a session is a token's digest; ``expires_at`` and ``revoked_at`` (schema 1) are UTC stamps of
#: the real clock (:func:`.store.stamp`): a lookup finds a session of its ``kind`` (schema 4: the
#: API's, or the web pages') that is not revoked and whose end is still to come (a session without
#: an end, made before sessions ended, is open no more)
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("editor_id", Id, ForeignKey("editors.id"), nullable=False),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text),
    Column("revoked_at", Text),
    Column("kind", Text, nullable=False, server_default="api"),
    Index("sessions_editor", "editor_id"),
)

#: failed logins (schema 4), by key (a login, or a client address) and UTC stamp: the attempts'
#: limits count them within a window; older ones are forgotten
login_failures = Table(
    "login_failures",
    metadata,
    _id(),
    Column("key", Text, nullable=False),
    Column("at", Text, nullable=False),
    Index("login_failures_key", "key", "at"),
)

enrolments = Table(
    "enrolments",
    metadata,
    _id(),
    Column("editor_id", Id, ForeignKey("editors.id")),
    Column("numero_ans", Text, nullable=False),
    Column("couloir", Text, nullable=False),
    Column("type_logiciel", Text, nullable=False),
    Column("siret", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("statut", Text, nullable=False),
    Column("motif", Text),
    Column("data", Text, nullable=False),
    Column("complementaire", Integer, nullable=False, server_default="0"),
    Column("created_at", Text, nullable=False),
    Column("decided_at", Text),
    Index("enrolments_editor", "editor_id"),
    Index("enrolments_statut", "statut", "id"),
    Index("enrolments_siret", "siret", "id"),
)

enrolment_pieces = Table(
    "enrolment_pieces",
    metadata,
    _id(),
    Column("enrolment_id", Id, ForeignKey("enrolments.id"), nullable=False),
    Column("nature", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Index("enrolment_pieces_enrolment", "enrolment_id"),
)

deposits = Table(
    "deposits",
    metadata,
    _id(),
    Column("editor_id", Id, ForeignKey("editors.id"), nullable=False),
    Column("type_demande", Text, nullable=False),
    Column("numero_ans", Text),
    Column("taux_tva", Float, nullable=False),
    Column("at", Text, nullable=False),
    Column("statut", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("file_sha256", Text, nullable=False),
    Column("termine", Integer, nullable=False, server_default="0"),
    Column("created_at", Text, nullable=False),
    Index("deposits_editor_page", "editor_id", "id"),
    Index("deposits_editor_file", "editor_id", "file_sha256", "id"),
)

requests = Table(
    "requests",
    metadata,
    Column("numero", Text, primary_key=True),
    Column("editor_id", Id, ForeignKey("editors.id"), nullable=False),
    Column("deposit_id", Id, ForeignKey("deposits.id")),
    Column("num_ligne", Integer),
    Column("reference_ligne", Text),
    Column("numero_bdc", Text),
    Column("type_demande", Text, nullable=False),
    Column("couloir", Text, nullable=False),
    Column("type_logiciel", Text, nullable=False),
    Column("profil", Text, nullable=False),
    Column("numero_ans", Text),
    Column("finess_geographique", Text),
    Column("siret", Text),
    Column("numero_avance", Text),
    Column("statut", Text, nullable=False),
    Column("motif", Text),
    Column("montant_cents", BigInteger),
    Column("data", Text, nullable=False),
    Column("pieces_manquantes", Text, nullable=False, server_default="[]"),
    # what the kit read in the pieces for the gestionnaire's checks by hand, by role (schema 3)
    Column("constats", Text, nullable=False, server_default="{}"),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    # the controls' lookups (0.2.0)
    Index("requests_reference", "editor_id", "reference_ligne"),
    Index("requests_bdc", "editor_id", "numero_bdc", "type_demande"),
    Index("requests_finess", "finess_geographique", "type_logiciel"),
    Index("requests_siret", "siret", "type_logiciel"),
    Index("requests_avance", "editor_id", "numero_avance"),
    # the lists, in their order (created_at, numero), with each filter (schema 1)
    # (statut last: the table of deposited requests leaves the incomplete ones out, read from the index)
    Index("requests_editor_page", "editor_id", "created_at", "numero", "statut"),
    Index("requests_editor_statut_page", "editor_id", "statut", "created_at", "numero"),
    Index("requests_editor_type_page", "editor_id", "type_demande", "created_at", "numero"),
    Index("requests_page", "created_at", "numero"),
    Index("requests_statut_page", "statut", "created_at", "numero"),
    Index("requests_type_page", "type_demande", "created_at", "numero"),
)

#: how many requests each editor has per type and status (schema 1), kept by the store with every
#: insert and move: the dashboards and the lists' totals read it instead of counting rows
request_counts = Table(
    "request_counts",
    metadata,
    Column("editor_id", Id, primary_key=True),
    Column("type_demande", Text, primary_key=True),
    Column("statut", Text, primary_key=True),
    Column("n", BigInteger, nullable=False),
)

request_events = Table(
    "request_events",
    metadata,
    _id(),
    Column("numero", Text, ForeignKey("requests.numero"), nullable=False),
    Column("at", Text, nullable=False),
    Column("from_statut", Text),
    Column("to_statut", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("motif", Text),
    Index("events_request", "numero"),
)

avenants = Table(
    "avenants",
    metadata,
    _id(),
    Column("numero", Text, ForeignKey("requests.numero"), nullable=False),
    Column("statut", Text, nullable=False),
    Column("montant_cents", BigInteger, nullable=False),
    Column("motif", Text),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    # the pieces an avenant created incomplete still lacks (schema 3)
    Column("pieces_manquantes", Text, nullable=False, server_default="[]"),
    Index("avenants_request", "numero"),
    Index("avenants_statut", "statut", "id"),
)

#: an editor's request to cancel one of its requests, with the gestionnaire's decision (schema 3);
#: the attestation sur l'honneur and the client's renunciation are documents of the request
cancellations = Table(
    "cancellations",
    metadata,
    _id(),
    Column("numero", Text, ForeignKey("requests.numero"), nullable=False),
    Column("editor_id", Id, ForeignKey("editors.id"), nullable=False),
    Column("motif", Text, nullable=False),
    Column("accord_client", Integer, nullable=False, server_default="0"),
    Column("etat", Text, nullable=False),
    Column("decision_motif", Text),
    Column("created_at", Text, nullable=False),
    Column("decided_at", Text),
    Index("cancellations_request", "numero", "id"),
    Index("cancellations_etat", "etat", "id"),
)

documents = Table(
    "documents",
    metadata,
    _id(),
    Column("numero", Text, ForeignKey("requests.numero"), nullable=False),
    Column("nature", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("content", LargeBinary),
    Column("created_at", Text, nullable=False),
    Index("documents_request", "numero"),
)

payments = Table(
    "payments",
    metadata,
    _id(),
    Column("numero", Text, ForeignKey("requests.numero"), nullable=False),
    Column("nature", Text, nullable=False),
    Column("montant_cents", BigInteger, nullable=False),
    Column("at", Text, nullable=False),
    Index("payments_request", "numero"),
)

mails = Table(
    "mails",
    metadata,
    _id(),
    Column("editor_id", Id),
    Column("destinataire", Text, nullable=False),
    Column("objet", Text, nullable=False),
    Column("corps", Text, nullable=False),
    Column("numero", Text),
    Column("at", Text, nullable=False),
    Index("mails_request", "numero"),
    Index("mails_editor_page", "editor_id", "id"),
)

journal = Table(
    "journal",
    metadata,
    _id(),
    Column("at", Text, nullable=False),
    Column("editor_id", Id),
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("detail", Text, nullable=False),
)

faults = Table(
    "faults",
    metadata,
    _id(),
    Column("route", Text, nullable=False),
    Column("method", Text),
    Column("kind", Text, nullable=False),
    Column("latency_ms", Integer, nullable=False, server_default="0"),
    Column("remaining", Integer),
    Column("created_at", Text, nullable=False),
)

scenarios = Table(
    "scenarios",
    metadata,
    _id(),
    Column("trigger", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("remaining", Integer),
    Column("created_at", Text, nullable=False),
)

#: every table, children first (the order a reset empties them in)
TABLES = (
    login_failures,
    scenarios,
    faults,
    journal,
    mails,
    payments,
    documents,
    cancellations,
    avenants,
    request_events,
    request_counts,
    requests,
    deposits,
    enrolment_pieces,
    enrolments,
    sessions,
    editors,
    meta,
)
