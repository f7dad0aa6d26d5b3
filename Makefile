# Thin wrapper: every verb is implemented once, in tools/build.sh (build.ps1 calls the same script).
BUILD := bash tools/build.sh

.PHONY: all run test iso kernel bench debug bochs bochs-selftest setup clean

all: iso

run:
	@$(BUILD) run

test:
	@$(BUILD) test

iso:
	@$(BUILD) iso

kernel:
	@$(BUILD) kernel

bench:
	@$(BUILD) bench

debug:
	@$(BUILD) debug

bochs:
	@$(BUILD) bochs

bochs-selftest:
	@$(BUILD) bochs selftest

setup:
	@$(BUILD) setup

clean:
	@$(BUILD) clean
