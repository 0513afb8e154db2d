#!/usr/bin/env bash
# Consortium CA (run by the CA operator, ideally on an offline machine).
# Usage: ca-init.sh CA_DIR "Consortium name" [days]
# Makes CA_DIR/ca.key.pem (secret, 0600; no genofed process ever needs it)
# and CA_DIR/ca.crt.pem (public: the trust anchor every party installs).
# ECDSA P-256 / SHA-256, the same as `genofed network init`.
set -euo pipefail
dir=${1:?usage: ca-init.sh CA_DIR "Consortium name" [days]}
name=${2:?usage: ca-init.sh CA_DIR "Consortium name" [days]}
days=${3:-1825}
umask 077
mkdir -p "$dir"
[ -e "$dir/ca.key.pem" ] && { echo "ca-init: $dir/ca.key.pem exists; refusing to overwrite" >&2; exit 1; }
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key.pem"
openssl req -x509 -new -key "$dir/ca.key.pem" -sha256 -days "$days" -subj "/O=$name/CN=$name CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$dir/ca.crt.pem"
chmod 644 "$dir/ca.crt.pem"
echo "ca-init: CA certificate $dir/ca.crt.pem (sha256 $(openssl x509 -in "$dir/ca.crt.pem" -noout -fingerprint -sha256 | cut -d= -f2))"
