# Thin wrapper over Meson for the README's commands.
BUILD ?= build

.PHONY: all deps build demo test bench clean

all: build

deps:
	bash scripts/install-deps.sh

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD)
	ninja -C $(BUILD)

demo: build
	bash scripts/demo.sh $(BUILD)/brig

test: deps
	bash scripts/test.sh

bench: build
	bash scripts/install-deps.sh --bench
	bash bench/run.sh

clean:
	rm -rf build build-asan build-clang
