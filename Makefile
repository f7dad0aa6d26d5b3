# Thin wrapper: every verb is implemented once, in tools/build.sh (build.ps1 calls the same script).
BUILD := bash tools/build.sh

.PHONY: all run test iso kernel bench debug bochs bochs-selftest pagefile setup clean

# make pagefile [PAGEFILE=path] [MIB=n]: a disk image carrying the page-file signature (make run makes one itself).
PAGEFILE ?= build/pagefile.img
MIB ?= 256

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

pagefile:
	@$(BUILD) pagefile $(PAGEFILE) $(MIB)

setup:
	@$(BUILD) setup

clean:
	@$(BUILD) clean
