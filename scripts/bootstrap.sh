#!/usr/bin/env bash
# Installs the Debian packages dxhub needs that are missing on this machine.
# Idempotent: when everything is present it only queries dpkg (well under a second),
# and it runs `apt-get update` only when something must be installed.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config git ca-certificates procps iproute2 util-linux
  # libraries (headers + shared objects)
  libcaf-dev libzmq3-dev cppzmq-dev libcereal-dev libboost-dev libcli11-dev
  libtomlplusplus-dev nlohmann-json3-dev
  # recording: HDF5 (serial, with h5ls/h5dump), SHA-256 from OpenSSL's libcrypto
  libhdf5-dev hdf5-tools libssl-dev
  # tests, fuzzing, formatting, plots, the Python protocol client
  clang libclang-rt-14-dev clang-format python3 python3-zmq gnuplot-nox
  # recording tests: h5py reads the files the recorder writes
  python3-h5py python3-numpy python3-pytest
  # dashboard tests: the page in headless Chromium, driven by Selenium
  chromium chromium-driver python3-selenium
  # the Python module (python/): pybind11 and the interpreter's headers
  pybind11-dev python3-dev
)

sudo=
[[ $(id -u) -ne 0 ]] && sudo=sudo

# Chromium and its driver (the dashboard tests) reach each other at
# "localhost": a minimal system (a bare debootstrap root, some containers)
# has no /etc/hosts to resolve it.
if [[ ! -e /etc/hosts ]]; then
  echo "bootstrap: /etc/hosts missing: writing the loopback names"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' |
    $sudo tee /etc/hosts >/dev/null
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ $status == ii* ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi

echo "bootstrap: installing ${#missing[@]} missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done"
