# clinicbot: `make run` (set up, migrate, demo data, serve with worker and timer) and `make test`.
# The distribution's Python 3.11 when it can make a venv (Debian builds it with PGO and LTO; pyenv's
# default build has neither and used 27 % more CPU on the fill simulator, docs/PERFORMANCE.md), else python3.
PYTHON ?= $(shell /usr/bin/python3.11 -c 'import ensurepip' >/dev/null 2>&1 && echo /usr/bin/python3.11 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST_ARGS ?=

.PHONY: install run migrate demo test lint ci clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[test]'
	@touch $@

install: $(VENV)/.installed
	@test -f .env || cp .env.example .env
	@mkdir -p var

migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py setup_roles

demo: migrate
	$(PY) manage.py load_demo

run: demo
	@echo "clinicbot: admin at http://127.0.0.1:8000/admin/ (logins above); Ctrl-C stops web, worker and timer."
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho -f Procfile start

lint: install
	$(VENV)/bin/ruff check .

test: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run > /dev/null
	$(VENV)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
