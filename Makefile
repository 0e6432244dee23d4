# Convenience targets; the scripts are the real commands.
.PHONY: bench bench-quick

# The benchmark suite on both engines; results in bench/results/.
bench:
	bench/run.sh

# A short smoke run of the same (numbers not meaningful).
bench-quick:
	bench/run.sh --quick
