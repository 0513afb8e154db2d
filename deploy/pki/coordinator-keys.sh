#!/usr/bin/env bash
# The coordinator's own keys (run on the coordinator host).
# Usage: coordinator-keys.sh DIR [COORDINATOR_ID]
# Makes in DIR: coordinator.key.pem (secret) + coordinator.csr.pem (to the CA),
# signing.key.pem (secret, Ed25519: signs every query) + signing.pub.pem (to every site).
# The BFV key pair is made separately by `node deploy/bfv-keygen.mjs` (bfv.sk secret, bfv.pk to every site).
set -euo pipefail
dir=${1:?usage: coordinator-keys.sh DIR [COORDINATOR_ID]}
id=${2:-coordinator}
[[ "$id" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] || { echo "coordinator-keys: '$id' is not a valid id" >&2; exit 1; }
umask 077
mkdir -p "$dir"
[ -e "$dir/coordinator.key.pem" ] && { echo "coordinator-keys: $dir/coordinator.key.pem exists; refusing to overwrite" >&2; exit 1; }
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/coordinator.key.pem"
openssl req -new -key "$dir/coordinator.key.pem" -subj "/CN=$id" -addext "subjectAltName=URI:urn:genofed:coordinator:$id" -out "$dir/coordinator.csr.pem"
openssl genpkey -algorithm ed25519 -out "$dir/signing.key.pem"
openssl pkey -in "$dir/signing.key.pem" -pubout -out "$dir/signing.pub.pem"
chmod 644 "$dir/coordinator.csr.pem" "$dir/signing.pub.pem"
echo "coordinator-keys: send $dir/coordinator.csr.pem to the CA operator; give $dir/signing.pub.pem to every site"
