#!/usr/bin/env bash
# Installs the Debian packages hrkd needs when they are missing: as root directly, with sudo
# when available, otherwise prints the one apt-get line to run and fails.
set -u
need=()
have_hdr() { [ -e "$1" ]; }
have_hdr /usr/include/ini.h                                   || need+=(libinih-dev)
pkg-config --exists hdf5 2>/dev/null || have_hdr /usr/include/hdf5/serial/hdf5.h || need+=(libhdf5-dev)
ls /usr/lib/*-linux-gnu/openblas-openmp/libopenblas.so >/dev/null 2>&1 || need+=(libopenblas-openmp-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v cc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v bc >/dev/null || need+=(bc)
command -v h5dump >/dev/null || need+=(hdf5-tools)
# Optional: Open MPI for the data-parallel communicator (lib/hrkd/comm/hrkd_comm_mpi.so) and
# its tests; installed for CI (CI=true) or on request (WITH_MPI=1), otherwise those tests
# skip and say why.
if [ "${CI:-}" = true ] || [ "${WITH_MPI:-0}" = 1 ]; then
  command -v mpirun >/dev/null || need+=(openmpi-bin)
  { pkg-config --exists ompi 2>/dev/null || command -v mpicc >/dev/null; } || need+=(libopenmpi-dev)
fi
[ ${#need[@]} -eq 0 ] && exit 0
line="apt-get install -y ${need[*]}"
if [ "$(id -u)" = 0 ]; then
  echo "deps: installing ${need[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive $line) >/tmp/hrkd-deps.log 2>&1 \
    || { echo "deps: '$line' failed, see /tmp/hrkd-deps.log"; exit 1; }
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  echo "deps: installing ${need[*]} with sudo"
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive $line || exit 1
else
  echo "deps: missing Debian packages. Run:  sudo apt-get update && sudo $line"; exit 1
fi
