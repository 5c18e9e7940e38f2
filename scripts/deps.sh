#!/usr/bin/env bash
# Installs the Debian packages hrkd needs when they are missing: as root directly, with sudo
# when available, otherwise prints the one apt-get line to run and fails.
# Optional packages (Open MPI for the data-parallel communicator, python3-h5py and
# python3-matplotlib for the tests that read run files and draw figures) are installed for CI
# (CI=true) or on request (WITH_MPI=1, WITH_PYTHON=1); a failure to install them is reported
# and not fatal: their tests skip and say why.
set -u
need=()   # required: a failure stops the build
want=()   # optional
have_hdr() { [ -e "$1" ]; }
have_hdr /usr/include/ini.h                                   || need+=(libinih-dev)
pkg-config --exists hdf5 2>/dev/null || have_hdr /usr/include/hdf5/serial/hdf5.h || need+=(libhdf5-dev)
ls /usr/lib/*-linux-gnu/openblas-openmp/libopenblas.so >/dev/null 2>&1 || need+=(libopenblas-openmp-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v cc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v bc >/dev/null || need+=(bc)
command -v h5dump >/dev/null || need+=(hdf5-tools)
if [ "${CI:-}" = true ] || [ "${WITH_MPI:-0}" = 1 ]; then
  command -v mpirun >/dev/null || want+=(openmpi-bin)
  # the header, not mpicc (openmpi-bin has it without libopenmpi-dev)
  ls /usr/lib/*-linux-gnu/openmpi/include/mpi.h /usr/include/mpi.h >/dev/null 2>&1 || want+=(libopenmpi-dev)
fi
if [ "${CI:-}" = true ] || [ "${WITH_PYTHON:-0}" = 1 ]; then
  bash "$(dirname "$0")/h5py_python.sh" >/dev/null || want+=(python3-h5py python3-numpy)
  /usr/bin/python3 -c 'import matplotlib' 2>/dev/null || want+=(python3-matplotlib)
fi
[ ${#need[@]} -eq 0 ] && [ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"
else
  [ ${#need[@]} -eq 0 ] && { echo "deps: optional packages missing (${want[*]}); their tests will skip"; exit 0; }
  echo "deps: missing Debian packages. Run:  sudo apt-get update && sudo apt-get install -y ${need[*]}"
  exit 1
fi
# install LIST...: one apt-get run; its output goes to /tmp/hrkd-deps.log
updated=0
install() {
  [ $updated = 1 ] || { $sudo apt-get update -qq >>/tmp/hrkd-deps.log 2>&1; updated=1; }
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >>/tmp/hrkd-deps.log 2>&1
}
if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]}${sudo:+ with sudo}"
  install "${need[@]}" || { echo "deps: 'apt-get install -y ${need[*]}' failed, see /tmp/hrkd-deps.log"; exit 1; }
fi
if [ ${#want[@]} -gt 0 ]; then
  echo "deps: installing optional ${want[*]}${sudo:+ with sudo}"
  install "${want[@]}" || echo "deps: optional 'apt-get install -y ${want[*]}' failed (see /tmp/hrkd-deps.log); the tests that need them will skip"
fi
exit 0
