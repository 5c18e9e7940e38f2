# hrkd — build, test, run, bench, fuzz, install.
#
#   make            build everything into build/ (CUDA backend too when nvcc exists)
#   make test       install missing Debian packages, build, run the suite normally and
#                   under AddressSanitizer + UBSan; ends with "N passed, N failed"
#   make run        the main job: ini/quickstart.ini on the embedded synthetic data
#   make bench      benchmarks printing JSON lines (not part of the tests)
#   make fuzz       libFuzzer runs of every parser of outside input (FUZZ_SECONDS each)
#   make install PREFIX=/usr/local
#
## hrkd make targets (V=1 prints full compiler commands; B=DIR builds into DIR)
##
##   make run          the main job: ini/quickstart.ini on the embedded synthetic data
##   make test         install missing packages, build, run the suite normally and under
##                     ASan + UBSan; ends "N passed, N failed"
##   make test-fast    normal build and the suite once (development loop)
##   make              build everything into build/ (CUDA backend when nvcc exists)
##   make bench        benchmarks, one JSON line each (docs/benchmarks.md)
##   make bench-mpi    data-parallel throughput at 1 and 2 MPI ranks (docs/scale-out.md)
##   make bench-vs-reference  the paper-shape step beside the PyTorch reference (REF=DIR)
##   make reproduce-amazon-minilm [SET=...]   real-data Amazon runs (docs/benchmarks.md)
##   make reproduce-amazon-minilm-metakd      the Meta-KD rows of the same set
##   make reproduce-amazon-fewshot            few-shot grid on the Amazon reviews (resumable)
##   make report [RUNS="results/*.h5"]   tables and figures into results/report/ (own venv)
##   make hf-venv      python3-torch + pinned transformers in .hf-venv (export checks)
##   make stress-run-lock [TRIALS=20]   two runs on one run file: one runs, one is refused
##   make fuzz [FUZZ_SECONDS=60]   libFuzzer on every parser of outside input
##   make device-prepare REF=DIR   the GPU check kit (docs/cuda.md); device-dry-run checks it
##   make install PREFIX=/usr/local   program, library, SDK headers, plugins, backends
##   make deps         install the Debian packages hrkd needs (as root or with sudo)
##   make clean        remove build/, build-asan/, build-fuzz/
#
# Layout of a build tree mirrors an installed prefix:
#   $(B)/bin/hrkd  $(B)/lib/libhrkd.so  $(B)/lib/hrkd/backends/*.so  $(B)/lib/hrkd/plugins/*.so

B        ?= build
PREFIX   ?= /usr/local
CC       ?= cc
NVCC     ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
OPT      ?= -O2
SAN      ?=
# extra nvcc flags for the CUDA backend, e.g. -gencode arch=compute_90,code=[sm_90,compute_90]
NVCCFLAGS ?=

HDF5_CFLAGS  := $(shell pkg-config --cflags hdf5 2>/dev/null)
HDF5_LIBS    := $(shell pkg-config --libs hdf5 2>/dev/null || echo -lhdf5)
# Prefer the OpenMP build of OpenBLAS: sgemm called inside our own OpenMP loops then runs
# single-threaded instead of oversubscribing (Debian: libopenblas-openmp-dev).
OPENBLAS_DIR := $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp))
ifneq ($(OPENBLAS_DIR),)
BLAS_CFLAGS  := -I$(subst /lib/,/include/,$(OPENBLAS_DIR))
BLAS_LIBS    := -L$(OPENBLAS_DIR) -Wl,-rpath,$(OPENBLAS_DIR) -lopenblas
else
BLAS_CFLAGS  := $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS    := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
endif

# Quiet build: one line per product ("CC host/core/ops.c"); V=1 prints the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-5s %s\n' $(1) $(2)
endif

WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) -g -fPIC $(WARN) $(SAN) -Ihost/include -Ihost \
             -DHRKD_INI_HANDLER_LINENO=1 $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

LIB_SRCS   := $(sort $(filter-out host/cli/%,$(wildcard host/*/*.c)))
CLI_SRCS   := $(sort $(wildcard host/cli/*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(B)/obj/%.o)
CLI_OBJS   := $(CLI_SRCS:%.c=$(B)/obj/%.o)
PLUGIN_SRCS:= $(sort $(wildcard plugins/*/*.c))
PLUGINS    := $(foreach s,$(PLUGIN_SRCS),$(B)/lib/hrkd/plugins/$(basename $(notdir $(s))).so)
TEST_SRCS  := $(sort $(wildcard tests/test_*.c))
TEST_BINS  := $(TEST_SRCS:tests/%.c=$(B)/tests/%)
TEST_COMMON:= $(sort $(wildcard tests/common/*.c))
HEADERS    := $(wildcard host/include/hrkd/*.h) $(wildcard host/*/*.h) $(wildcard tests/common/*.h) \
              $(wildcard plugins/*/*.h)

LIBHRKD  := $(B)/lib/libhrkd.so
HRKD_BIN := $(B)/bin/hrkd
CPU_BE   := $(B)/lib/hrkd/backends/hrkd_backend_cpu.so
CUDA_BE  := $(B)/lib/hrkd/backends/hrkd_backend_cuda.so
CUDA_SRCS:= $(sort $(wildcard backends/cuda/*.cu))
ifneq ($(NVCC),)
ifneq ($(CUDA_SRCS),)
CUDA_TARGET := $(CUDA_BE)
endif
endif

# Communicators (data-parallel runs, docs/scale-out.md): MPI where Open MPI's compiler wrapper
# or pkg-config knows it; NCCL (GPU all-reduce, MPI rendezvous) where nccl.h and nvcc exist too.
MPI_CFLAGS := $(shell pkg-config --cflags ompi 2>/dev/null || mpicc --showme:compile 2>/dev/null)
MPI_LIBS   := $(shell pkg-config --libs ompi 2>/dev/null || mpicc --showme:link 2>/dev/null)
# mpicc (openmpi-bin) names its include folder even where libopenmpi-dev, and so mpi.h, is gone
ifeq ($(wildcard $(patsubst -I%,%/mpi.h,$(filter -I%,$(MPI_CFLAGS))) /usr/include/mpi.h),)
MPI_CFLAGS :=
MPI_LIBS   :=
endif
COMM_MPI   := $(B)/lib/hrkd/comm/hrkd_comm_mpi.so
COMM_NCCL  := $(B)/lib/hrkd/comm/hrkd_comm_nccl.so
CUDA_HOME  := $(if $(NVCC),$(patsubst %/bin/,%,$(dir $(realpath $(NVCC)))))
NCCL_H     := $(firstword $(wildcard $(CUDA_HOME)/include/nccl.h /usr/include/nccl.h /usr/local/include/nccl.h))
# Without MPI, hrkd_comm_nccl.so is still built, for one rank: comm/nccl/single_rank.c stands
# in for the MPI rendezvous (a single-GPU run that exercises NCCL without Open MPI).
NCCL_RDV_SRC := $(if $(MPI_LIBS),comm/mpi/comm_mpi.c,comm/nccl/single_rank.c)
ifneq ($(MPI_LIBS),)
COMM_TARGETS := $(COMM_MPI)
endif
ifneq ($(NVCC),)
ifneq ($(NCCL_H),)
COMM_TARGETS += $(COMM_NCCL)
endif
endif

.PHONY: help all deps test test-fast asan run bench bench-vs-reference reproduce-amazon-minilm fuzz install clean check-cuda
all: $(LIBHRKD) $(HRKD_BIN) $(CPU_BE) $(PLUGINS) $(CUDA_TARGET) $(COMM_TARGETS)
	@if [ -z "$(NVCC)" ]; then echo "note: nvcc not found, CUDA backend skipped"; fi
	@if [ -z "$(MPI_LIBS)" ]; then echo "note: MPI not found (libopenmpi-dev), hrkd_comm_mpi skipped"; fi

# The targets in one screen.
help:
	@sed -n 's/^## \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

deps:
	@bash scripts/deps.sh

# Targets that install packages first build in a second make: the compiler and linker flags
# read from pkg-config above are only right once deps has installed what they name.
BUILD = @$(MAKE) --no-print-directory B=$(B) all

$(B)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) $(HDF5_CFLAGS) -c $< -o $@

$(LIBHRKD): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) -shared -o $@ $(LIB_OBJS) $(LDFLAGS_ALL) $(HDF5_LIBS) -linih -ldl -lm -lpthread

$(HRKD_BIN): $(CLI_OBJS) $(LIBHRKD)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) -o $@ $(CLI_OBJS) $(LDFLAGS_ALL) -L$(B)/lib -lhrkd -Wl,-rpath,'$$ORIGIN/../lib' $(HDF5_LIBS) -linih -ldl -lm

$(CPU_BE): $(wildcard backends/cpu/*.c) $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,CC,backends/cpu)
	$(Q)$(CC) $(CFLAGS_ALL) $(BLAS_CFLAGS) -fopenmp -shared -fvisibility=hidden -o $@ \
	    $(wildcard backends/cpu/*.c) $(LDFLAGS_ALL) $(BLAS_LIBS) -lm

$(CUDA_BE): $(CUDA_SRCS) $(wildcard backends/cuda/*.cuh) $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,NVCC,backends/cuda)
	$(Q)$(NVCC) -O2 -std=c++17 $(NVCCFLAGS) -Xcompiler -fPIC,-fvisibility=hidden -Ihost/include -shared \
	    -o $@ $(CUDA_SRCS) -lcublas -lcudart

$(COMM_MPI): comm/mpi/comm_mpi.c comm/mpi/comm_mpi.h host/comm/comm_abi.h
	@mkdir -p $(dir $@)
	$(call say,CC,comm/mpi)
	$(Q)$(CC) $(CFLAGS_ALL) $(MPI_CFLAGS) -shared -fvisibility=hidden -o $@ comm/mpi/comm_mpi.c \
	    $(LDFLAGS_ALL) $(MPI_LIBS)

$(COMM_NCCL): comm/nccl/comm_nccl.c $(NCCL_RDV_SRC) comm/mpi/comm_mpi.h host/comm/comm_abi.h
	@mkdir -p $(dir $@)
	$(call say,CC,comm/nccl)
	$(Q)$(CC) $(CFLAGS_ALL) $(MPI_CFLAGS) -I$(dir $(NCCL_H)) -I$(CUDA_HOME)/include -DHRKD_COMM_NO_MPI_ENTRY \
	    -shared -fvisibility=hidden -o $@ comm/nccl/comm_nccl.c $(NCCL_RDV_SRC) $(LDFLAGS_ALL) \
	    $(MPI_LIBS) -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lnccl -lcudart

# Plugins see the public SDK headers only (no -Ihost): what a third-party author has.
PLUGIN_CFLAGS = $(filter-out -Ihost,$(CFLAGS_ALL))
$(B)/lib/hrkd/plugins/%.so: $(LIBHRKD) $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,CC,$(filter %/$*.c,$(PLUGIN_SRCS)))
	$(Q)$(CC) $(PLUGIN_CFLAGS) -shared -fvisibility=hidden -o $@ $(filter %/$*.c,$(PLUGIN_SRCS)) \
	    $(LDFLAGS_ALL) -L$(B)/lib -lhrkd -Wl,-rpath,'$$ORIGIN/../..' -lm
	@chmod go-w $@ $(dir $@)  # the host refuses plugins others may replace (umask 002)
$(PLUGINS): $(PLUGIN_SRCS)

$(B)/tests/%: tests/%.c $(TEST_COMMON) $(LIBHRKD) $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) $(HDF5_CFLAGS) -Itests -o $@ $< $(TEST_COMMON) $(LDFLAGS_ALL) \
	    -L$(B)/lib -lhrkd -Wl,-rpath,'$$ORIGIN/../lib' $(HDF5_LIBS) -linih -ldl -lm

build-tests: all $(TEST_BINS)
.PHONY: build-tests

# The suite: normal build, then the same tests under ASan + UBSan (build-asan/).
test: deps
	@$(MAKE) --no-print-directory build-tests
	@$(MAKE) --no-print-directory B=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" build-tests
	@bash tests/run.sh build build-asan

# Quicker loop for development: normal build only.
test-fast: build-tests
	@bash tests/run.sh build

asan:
	@$(MAKE) --no-print-directory B=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" build-tests

run: deps
	$(BUILD)
	@mkdir -p results
	$(HRKD_BIN) run ini/quickstart.ini --force

bench: deps
	$(BUILD)
	@bash scripts/bench.sh

# A distillation step at the paper's shape beside the PyTorch reference code (needs torch
# and REF=<checkout of github.com/cheneydon/hrkd>).
bench-vs-reference: deps
	$(BUILD)
	@bash scripts/bench_vs_reference.sh

# Real-data benchmark runs (Amazon reviews, MiniLM teacher; docs/benchmarks.md): ~2 h on 2 cores
# (JOBS=2 THREADS=1: two runs at once, one core each). The Meta-KD rows come after them.
reproduce-amazon-minilm: deps
	$(BUILD)
	@B=$(B) SET=$(SET) bash scripts/reproduce_amazon_minilm.sh
reproduce-amazon-minilm-metakd: deps
	$(BUILD)
	@B=$(B) bash scripts/reproduce_amazon_minilm_metakd.sh
.PHONY: reproduce-amazon-minilm-metakd
# The few-shot grid (ini/amazon_fewshot; JOBS, THREADS, RATES, SEEDS_LOW, SEEDS_HIGH, PRUNE as the
# script says): a re-run skips finished runs and resumes stopped ones.
reproduce-amazon-fewshot: deps
	$(BUILD)
	@B=$(B) bash scripts/reproduce_amazon_fewshot.sh
.PHONY: reproduce-amazon-fewshot

# data-parallel throughput and all-reduce cost at 1 and 2 MPI ranks (docs/scale-out.md)
bench-mpi: deps
	$(BUILD)
	@B=$(B) bash scripts/bench_mpi.sh
.PHONY: bench-mpi

# Tables and figures of run files into results/report/index.md (RUNS: files or globs; CASES:
# files of `hrkd case --out`), in results/.venv made from results/requirements.txt on first use.
RUNS ?= results/*.h5
CASES ?=
report: results/.venv/.installed
	@rm -rf results/report
	@results/.venv/bin/python results/analyze.py --report results/report $(RUNS) $(foreach c,$(CASES),--case $(c))
results/.venv/.installed: results/requirements.txt
	@bash results/venv.sh >/dev/null
.PHONY: report

# The virtual environment the export checks load students in (tests/test_export_logits.c,
# tests/t_export_hf.sh): Debian's python3-torch plus the transformers pinned in
# scripts/hf-requirements.txt (PyPI's torch would pull gigabytes of CUDA wheels).
hf-venv:
	@command -v apt-get >/dev/null && ! /usr/bin/python3 -c 'import torch' 2>/dev/null && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y --no-install-recommends python3-torch python3-venv || true
	@/usr/bin/python3 -m venv --system-site-packages .hf-venv
	@.hf-venv/bin/pip install -q -r scripts/hf-requirements.txt
	@.hf-venv/bin/python -c 'import torch, transformers; print("hf-venv: torch", torch.__version__, "transformers", transformers.__version__)'
.PHONY: hf-venv

# The GPU check (docs/cuda.md): a kit prepared here (build for the H100, the libraries the GPU
# machine lacks, the reference code), run there in one command.
#   make device-prepare REF=<checkout of github.com/cheneydon/hrkd>   → device-kit/
#   make device-dry-run                 checks the kit, prints the stages
#   make device-check [DEVICE_OUT=DIR]  on the GPU machine
device-prepare:
	@bash scripts/device_check.sh prepare --ref "$(REF)"
device-dry-run:
	@bash scripts/device_check.sh --dry-run
device-check:
	@bash scripts/device_check.sh run $(DEVICE_OUT)
.PHONY: device-prepare device-dry-run device-check

# Two runs on one run file, TRIALS times (default 20), 0-3 s apart: one runs, one is refused.
stress-run-lock: deps
	$(BUILD)
	@B=$(B) bash scripts/stress_run_lock.sh $(TRIALS)
.PHONY: stress-run-lock

FUZZ_SECONDS ?= 60
fuzz: deps
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/hrkd/backends \
	    $(DESTDIR)$(PREFIX)/lib/hrkd/plugins $(DESTDIR)$(PREFIX)/include/hrkd \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(HRKD_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(LIBHRKD) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/lib/hrkd/backends/*.so $(DESTDIR)$(PREFIX)/lib/hrkd/backends/
	if ls $(B)/lib/hrkd/plugins/*.so >/dev/null 2>&1; then \
	    install -m 755 $(B)/lib/hrkd/plugins/*.so $(DESTDIR)$(PREFIX)/lib/hrkd/plugins/; fi
	if ls $(B)/lib/hrkd/comm/*.so >/dev/null 2>&1; then install -d $(DESTDIR)$(PREFIX)/lib/hrkd/comm; \
	    install -m 755 $(B)/lib/hrkd/comm/*.so $(DESTDIR)$(PREFIX)/lib/hrkd/comm/; fi
	install -m 644 host/include/hrkd/*.h $(DESTDIR)$(PREFIX)/include/hrkd/
	install -d $(DESTDIR)$(PREFIX)/include/hrkd/relational $(DESTDIR)$(PREFIX)/share/hrkd/src/relational
	install -m 644 plugins/relational/weights.h $(DESTDIR)$(PREFIX)/include/hrkd/relational/
	install -m 644 plugins/relational/*.c plugins/relational/weights.h $(DESTDIR)$(PREFIX)/share/hrkd/src/relational/
	for d in examples/*/ examples/plugins/*/; do case $$d in examples/plugins/) continue ;; esac; \
	    install -d $(DESTDIR)$(PREFIX)/share/hrkd/$$d && install -m 644 $$d/Makefile $$d/*.c $(DESTDIR)$(PREFIX)/share/hrkd/$$d; done
	install -m 644 docs/sdk.md docs/plugins.md $(DESTDIR)$(PREFIX)/share/hrkd/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/.*HRKD_VERSION_STRING "\(.*\)"/\1/p' host/include/hrkd/hrkd.h)|g' \
	    scripts/hrkd.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/hrkd.pc

clean:
	rm -rf build build-asan build-fuzz
