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
# Layout of a build tree mirrors an installed prefix:
#   $(B)/bin/hrkd  $(B)/lib/libhrkd.so  $(B)/lib/hrkd/backends/*.so  $(B)/lib/hrkd/plugins/*.so

B        ?= build
PREFIX   ?= /usr/local
CC       ?= cc
NVCC     ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
OPT      ?= -O2
SAN      ?=

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
COMM_MPI   := $(B)/lib/hrkd/comm/hrkd_comm_mpi.so
COMM_NCCL  := $(B)/lib/hrkd/comm/hrkd_comm_nccl.so
CUDA_HOME  := $(if $(NVCC),$(patsubst %/bin/,%,$(dir $(realpath $(NVCC)))))
NCCL_H     := $(firstword $(wildcard $(CUDA_HOME)/include/nccl.h /usr/include/nccl.h /usr/local/include/nccl.h))
ifneq ($(MPI_LIBS),)
COMM_TARGETS := $(COMM_MPI)
ifneq ($(NVCC),)
ifneq ($(NCCL_H),)
COMM_TARGETS += $(COMM_NCCL)
endif
endif
endif

.PHONY: all deps test test-fast asan run bench bench-vs-reference reproduce-amazon-minilm fuzz install clean check-cuda
all: $(LIBHRKD) $(HRKD_BIN) $(CPU_BE) $(PLUGINS) $(CUDA_TARGET) $(COMM_TARGETS)
	@if [ -z "$(NVCC)" ]; then echo "note: nvcc not found, CUDA backend skipped"; fi
	@if [ -z "$(MPI_LIBS)" ]; then echo "note: MPI not found (libopenmpi-dev), hrkd_comm_mpi skipped"; fi

deps:
	@bash scripts/deps.sh

$(B)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(HDF5_CFLAGS) -c $< -o $@

$(LIBHRKD): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ $(LIB_OBJS) $(LDFLAGS_ALL) $(HDF5_LIBS) -linih -ldl -lm -lpthread

$(HRKD_BIN): $(CLI_OBJS) $(LIBHRKD)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(CLI_OBJS) $(LDFLAGS_ALL) -L$(B)/lib -lhrkd -Wl,-rpath,'$$ORIGIN/../lib' $(HDF5_LIBS) -linih -ldl -lm

$(CPU_BE): $(wildcard backends/cpu/*.c) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(BLAS_CFLAGS) -fopenmp -shared -fvisibility=hidden -o $@ \
	    $(wildcard backends/cpu/*.c) $(LDFLAGS_ALL) $(BLAS_LIBS) -lm

$(CUDA_BE): $(CUDA_SRCS) $(wildcard backends/cuda/*.cuh) $(HEADERS)
	@mkdir -p $(dir $@)
	$(NVCC) -O2 -std=c++17 -Xcompiler -fPIC,-fvisibility=hidden -Ihost/include -shared \
	    -o $@ $(CUDA_SRCS) -lcublas -lcudart

$(COMM_MPI): comm/mpi/comm_mpi.c comm/mpi/comm_mpi.h host/comm/comm_abi.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(MPI_CFLAGS) -shared -fvisibility=hidden -o $@ comm/mpi/comm_mpi.c \
	    $(LDFLAGS_ALL) $(MPI_LIBS)

$(COMM_NCCL): comm/nccl/comm_nccl.c comm/mpi/comm_mpi.c comm/mpi/comm_mpi.h host/comm/comm_abi.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(MPI_CFLAGS) -I$(dir $(NCCL_H)) -I$(CUDA_HOME)/include -DHRKD_COMM_NO_MPI_ENTRY \
	    -shared -fvisibility=hidden -o $@ comm/nccl/comm_nccl.c comm/mpi/comm_mpi.c $(LDFLAGS_ALL) \
	    $(MPI_LIBS) -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lnccl -lcudart

# Plugins see the public SDK headers only (no -Ihost): what a third-party author has.
PLUGIN_CFLAGS = $(filter-out -Ihost,$(CFLAGS_ALL))
$(B)/lib/hrkd/plugins/%.so: $(LIBHRKD) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -shared -fvisibility=hidden -o $@ $(filter %/$*.c,$(PLUGIN_SRCS)) \
	    $(LDFLAGS_ALL) -L$(B)/lib -lhrkd -Wl,-rpath,'$$ORIGIN/../..' -lm
	@chmod go-w $@ $(dir $@)  # the host refuses plugins others may replace (umask 002)
$(PLUGINS): $(PLUGIN_SRCS)

$(B)/tests/%: tests/%.c $(TEST_COMMON) $(LIBHRKD) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(HDF5_CFLAGS) -Itests -o $@ $< $(TEST_COMMON) $(LDFLAGS_ALL) \
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

run: deps all
	@mkdir -p results
	$(HRKD_BIN) run ini/quickstart.ini

bench: deps all
	@bash scripts/bench.sh

# A distillation step at the paper's shape beside the PyTorch reference code (needs torch
# and REF=<checkout of github.com/cheneydon/hrkd>).
bench-vs-reference: deps all
	@bash scripts/bench_vs_reference.sh

# Real-data acceptance runs (Amazon reviews, MiniLM teacher): ~2 h on 2 cores
# (JOBS=2 THREADS=1: two runs at once, one core each). The Meta-KD rows come after them.
reproduce-amazon-minilm: deps all
	@B=$(B) SET=$(SET) bash scripts/reproduce_amazon_minilm.sh
reproduce-amazon-minilm-metakd: deps all
	@B=$(B) bash scripts/reproduce_amazon_minilm_metakd.sh
.PHONY: reproduce-amazon-minilm-metakd

# data-parallel throughput and all-reduce cost at 1 and 2 MPI ranks (docs/scale-out.md)
bench-mpi: deps all
	@B=$(B) bash scripts/bench_mpi.sh
.PHONY: bench-mpi

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
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/.*HRKD_VERSION_STRING "\(.*\)"/\1/p' host/include/hrkd/hrkd.h)|g' \
	    scripts/hrkd.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/hrkd.pc

clean:
	rm -rf build build-asan build-fuzz
