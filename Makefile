# fastact developer commands.  Every target creates .venv when it is missing and (re)installs the
# package when its sources changed, so a fresh clone needs nothing but python3 and a C compiler.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SOURCES := setup.py pyproject.toml MANIFEST.in $(wildcard fastact/*.py fastact_keras/*.py fastact/*.pyx fastact/*.pyx.tp \
           fastact/*.pxd fastact/*.h)

.PHONY: test demo bench accuracy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# one stamp per extra: installing the package again only when a source file changed
$(VENV)/.installed-%: $(BIN)/python $(SOURCES)
	$(BIN)/python -m pip install -q ".[$*]"
	touch $@

test: $(VENV)/.installed-test
	$(BIN)/pytest tests

demo: $(VENV)/.installed-demo
	$(BIN)/python benchmarks/demo.py
	$(BIN)/python benchmarks/study.py

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf build dist *.egg-info fastact/*.c fastact/*.so fastact/_kernels_*.pyx $(VENV)
