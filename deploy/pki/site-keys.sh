#!/usr/bin/env bash
# A hospital's own keys (run at the hospital; private keys never leave it).
# Usage: site-keys.sh DIR SITE_ID DNS_NAME [IP]
# Makes in DIR: node.key.pem (secret) + node.csr.pem (send to the CA operator),
# x25519.key.pem (secret) + x25519.pub.pem (reserved for secure-aggregation masks).
# The certificate must name the site twice: CN=SITE_ID and the URI SAN
# urn:genofed:site:SITE_ID (the coordinator checks both); DNS/IP SANs are
# the names the coordinator dials.
set -euo pipefail
dir=${1:?usage: site-keys.sh DIR SITE_ID DNS_NAME [IP]}
id=${2:?site id (1-63 of a-z 0-9 . _ -)}
dns=${3:?DNS name the coordinator uses to reach this node}
ip=${4:-}
[[ "$id" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] || { echo "site-keys: '$id' is not a valid site id" >&2; exit 1; }
umask 077
mkdir -p "$dir"
[ -e "$dir/node.key.pem" ] && { echo "site-keys: $dir/node.key.pem exists; refusing to overwrite" >&2; exit 1; }
san="URI:urn:genofed:site:$id,DNS:$dns${ip:+,IP:$ip}"
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/node.key.pem"
openssl req -new -key "$dir/node.key.pem" -subj "/CN=$id" -addext "subjectAltName=$san" -out "$dir/node.csr.pem"
openssl genpkey -algorithm x25519 -out "$dir/x25519.key.pem"
openssl pkey -in "$dir/x25519.key.pem" -pubout -out "$dir/x25519.pub.pem"
chmod 644 "$dir/node.csr.pem" "$dir/x25519.pub.pem"
echo "site-keys: send $dir/node.csr.pem to the CA operator (SAN $san)"
