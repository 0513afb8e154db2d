#!/usr/bin/env bash
# The CA operator signs a CSR after checking it names exactly one genofed identity.
# Usage: ca-sign.sh CA_DIR CSR server|client OUT_CERT [days]
#   server: a hospital node (needs CN=<id> and URI SAN urn:genofed:site:<id>)
#   client: the coordinator (needs CN=<id> and URI SAN urn:genofed:coordinator:<id>)
# Confirm the printed identity with the requesting party out of band before
# handing the certificate back.
set -euo pipefail
ca=${1:?usage: ca-sign.sh CA_DIR CSR server|client OUT_CERT [days]}
csr=${2:?CSR file}
kind=${3:?server or client}
out=${4:?output certificate}
days=${5:-365}
case "$kind" in
  server) role=site; eku=serverAuth ;;
  client) role=coordinator; eku=clientAuth ;;
  *) echo "ca-sign: kind must be server or client" >&2; exit 1 ;;
esac
openssl req -in "$csr" -noout -verify 2>/dev/null || { echo "ca-sign: CSR signature does not verify" >&2; exit 1; }
cn=$(openssl req -in "$csr" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
sans=$(openssl req -in "$csr" -noout -text | grep -A1 'Subject Alternative Name' | tail -1 | tr -d ' ' | sed 's/IPAddress:/IP:/g')
[[ "$cn" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] || { echo "ca-sign: CN '$cn' is not a genofed id" >&2; exit 1; }
[[ ",$sans," == *",URI:urn:genofed:$role:$cn,"* ]] || { echo "ca-sign: CSR must have CN=<id> and URI SAN urn:genofed:$role:<id> (CN '$cn', SAN '$sans')" >&2; exit 1; }
n=$(grep -o 'URI:urn:genofed:' <<<"$sans" | wc -l)
[ "$n" -eq 1 ] || { echo "ca-sign: CSR names $n genofed identities; exactly one allowed" >&2; exit 1; }
[[ "$sans" =~ ^(URI|DNS|IP):[^,]+(,(URI|DNS|IP):[^,]+)*$ ]] || { echo "ca-sign: unexpected SAN entries '$sans'" >&2; exit 1; }
[ -e "$out" ] && { echo "ca-sign: $out exists; refusing to overwrite" >&2; exit 1; }
ext=$(mktemp)
trap 'rm -f "$ext"' EXIT
# Extensions come from here only (the CSR's own requests are not copied: a
# CSR asking for CA:TRUE must not get it); the checked SAN is restated.
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' "$eku" "$sans" > "$ext"
openssl x509 -req -in "$csr" -CA "$ca/ca.crt.pem" -CAkey "$ca/ca.key.pem" -CAcreateserial -days "$days" -sha256 \
  -extfile "$ext" -out "$out" 2>/dev/null
chmod 644 "$out"
echo "ca-sign: signed $kind certificate for $role '$cn' ($sans), valid $days days -> $out"
