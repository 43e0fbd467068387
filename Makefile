# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench soak screenshots dist dist-check clean system-deps qt-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) qt-deps
	$(BIN)/outreach

# Qt's X11 platform plugin (the desktop window on Linux) loads a dozen system libraries that
# minimal Debian/Ubuntu installs lack; `outreach.ui.platform_check` names the packages of those
# `ldd` cannot find (one list, shared with the app's own message). Installed only when missing.
qt-deps: $(STAMP)
	@packages=$$($(BIN)/python -m outreach.ui.platform_check); \
	[ -n "$$packages" ] || exit 0; \
	if ! command -v apt-get >/dev/null; then \
		echo "Qt's X11 plugin needs libraries this system lacks (Debian names):" $$packages >&2; \
		exit 0; \
	fi; \
	echo "Installing the X11 libraries Qt needs:" $$packages; \
	$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$packages

lint: $(STAMP)
	$(BIN)/ruff check outreach tests bench scripts
	$(BIN)/ruff format --check outreach tests bench scripts
	$(BIN)/mypy outreach
	$(BIN)/lint-imports

# Debian tools the tests use (fiu-run injects disk faults; pdftotext/pdftoppm read the PDFs;
# zbarimg decodes their QR codes; Xvfb is the X server the window test opens the app on);
# installed only when missing.
system-deps: qt-deps
	command -v fiu-run >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq fiu-utils)
	command -v pdftotext >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq poppler-utils)
	command -v zbarimg >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq zbar-tools)
	command -v Xvfb >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq xvfb)

test: lint system-deps
	$(BIN)/python -m pytest -q -m "not soak"

# Long reliability run: >= 1,000 SIGKILLs, disk faults, sync faults, fuzzing; prints its figures.
soak: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -m soak tests/reliability

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m outreach.ui.screenshots docs/screenshots
	QT_QPA_PLATFORM=offscreen QT_SCALE_FACTOR=2 $(BIN)/python -m outreach.ui.screenshots \
		docs/screenshots --suffix @2x --only record-contact
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m outreach.ui.screenshots_prevention docs/screenshots
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m outreach.ui.screenshots_follow_ups docs/screenshots
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/screenshot_devices.py docs/screenshots

bench: $(STAMP)
	$(BIN)/python -m bench

# One-folder desktop build in dist/Outreach/ (PyInstaller builds only for the OS it runs on).
dist: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --distpath dist --workpath build build.spec

# The built app, offscreen: CLI store round trip, GUI start, bundle contents, size, start time.
dist-check: $(STAMP)
	$(BIN)/python scripts/dist_check.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
