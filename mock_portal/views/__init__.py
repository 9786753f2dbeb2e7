"""The Flask blueprints: the editor's API, the gestionnaire's admin API, the public pages."""
