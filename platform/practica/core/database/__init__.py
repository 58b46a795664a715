"""The database backend (settings.DATABASES ENGINE `practica.core.database`), see base.py."""
