#!/usr/bin/env bash
# Run once per deploy, after the new code and dependencies are in place and before the web,
# worker and beat processes restart: migrates the public schema, the practice template schema
# (new practices are cloned from it) and every practice, loads the code sets (ICD-10-CM), then
# collects the static files.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
cd "$ROOT"
"$PY" manage.py check --deploy --fail-level ERROR
"$PY" manage.py compilemessages --ignore .venv --ignore .local --verbosity 0  # needs gettext (msgfmt)
"$PY" manage.py migrate_practices
"$PY" manage.py load_codesets  # skipped (without importing the package) once the edition is loaded
"$PY" manage.py collectstatic --no-input --verbosity 0
