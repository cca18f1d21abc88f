# Two commands: `make run` (the daemon in dry-run on config/example.yaml) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install run test lint typecheck unit bench wheel clean demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first (the semantic cache's embedder): left to itself pip would
	# pick a newer CUDA build of several GB.
	$(BIN)/pip install --quiet 'torch==2.13.0'
	# llama.cpp built for the generic CPU: a native build (AVX-512/AMX where the build machine has
	# them) has been seen to crash in inference on the very machine that built it.
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install --quiet -e '.[dev,local,semantic,report]'
	touch $@

install: $(STAMP)

# Start the demo service (if it is not running) and run the daemon in dry-run, decisions shown
# as they happen. Stop with Ctrl-C; stop the demo with `kill $$(cat var/demo.pid)`.
run: install demo
	$(BIN)/mapekd run --config config/example.yaml --dry-run --log-format text

demo: install
	@mkdir -p var
	@if [ -f var/demo.pid ] && kill -0 "$$(cat var/demo.pid)" 2>/dev/null; then \
		echo "demo service already running (pid $$(cat var/demo.pid))"; \
	else \
		nohup $(BIN)/python -m mapekd.demo --port 8787 --pidfile var/demo.pid >var/demo.log 2>&1 & \
		sleep 0.5; echo "demo service started: http://127.0.0.1:8787/health"; \
	fi

lint: install
	$(BIN)/ruff check daemon tests bench
	$(BIN)/ruff format --check daemon tests bench

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q

test: install
	$(BIN)/ruff check daemon tests bench
	$(BIN)/ruff format --check daemon tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/loop_mttr.py

wheel: install
	$(BIN)/python -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) var dist build .mypy_cache .ruff_cache .pytest_cache
