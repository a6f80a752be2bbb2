# The two commands (README): `make run` and `make test`. Both set everything up on a fresh Debian
# machine with Python 3.11: a virtual environment with the project and its dependencies, and the
# Debian packages the tests drive (chromium for the console's browser test, nginx for scale-out,
# wrk for the benchmarks, ffmpeg to turn villagers' voices into something browsers play,
# fonts-wqy-microhei for the Chinese labels of the Word report's chart).

PYTHON ?= python3
PORT   ?= 8000
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEBS   := chromium nginx redis-server wrk ffmpeg fonts-wqy-microhei

.PHONY: run test install lock system-deps bench clean

run: $(STAMP)                     ## install everything, start the bot with the chat simulator (PORT=8000)
	$(BIN)/pufabot simulate --port $(PORT)

test: $(STAMP) system-deps        ## install everything, lint (ruff), type-check (mypy --strict), run the whole suite (pytest's "no tests" fails)
	$(BIN)/ruff check bot handlers tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure"; exit 1; fi; exit $$rc

install: $(STAMP)

# Dependencies come from requirements.lock (exact versions, made by `make lock` from pyproject.toml's
# bounded ranges); the project itself is installed on top without resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lock: $(STAMP)                    ## re-resolve requirements.lock from pyproject.toml (after changing a dependency)
	$(BIN)/python -m pip install --quiet "pip-tools>=7.4,<8"
	$(BIN)/pip-compile --quiet --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
	  -o requirements.lock pyproject.toml

system-deps:                      ## Debian packages for the browser and scale-out tests (root only)
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null) \
	      || echo "could not install$$missing: the tests that need them will be skipped and say why"; \
	  else echo "not root: missing$$missing; the tests that need them will be skipped and say why"; fi; \
	fi

bench: $(STAMP)                   ## every benchmark (each is also one command on its own, see README)
	$(BIN)/python benchmarks/matcher.py
	$(BIN)/python benchmarks/webhook.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .hypothesis test-artifacts
