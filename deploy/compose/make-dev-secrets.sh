#!/bin/sh
# Development keys for docker-compose.yml, written to var/compose-secrets/ (git-ignored).
# Never use them anywhere but a developer's machine. Existing keys are kept.
#
#   sh deploy/compose/make-dev-secrets.sh [DIR]
#
#   jwt-private.pem             Ed25519 private key (PKCS#8 PEM) that signs development JWTs
#                               (eventkit-token issue --key var/compose-secrets/jwt-private.pem ...)
#   jwt-public.pem              its public key (SubjectPublicKeyInfo PEM): AUTH_JWT_PUBLIC_KEY_FILE
#   <service>-data.key          32 random bytes, base64: <PREFIX>DATA_KEY_FILE of each service
#   bank-callback.secret        the HMAC key of the bank's signed callbacks, shared by the refund
#                               service (REFUND_BANK_CALLBACK_SECRET) and the bank simulator
#                               (BANKSIM_SECRET); 32 random bytes, hex
#
# The files the containers read are world-readable (0644) because compose bind-mounts them
# as they are and the services run as uid 10001; the private key stays 0600.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-"$root/var/compose-secrets"}
mkdir -p "$dir"

if [ ! -s "$dir/jwt-private.pem" ]; then
    (umask 077 && openssl genpkey -algorithm ED25519 -out "$dir/jwt-private.pem")
fi
openssl pkey -in "$dir/jwt-private.pem" -pubout -out "$dir/jwt-public.pem"
chmod 0644 "$dir/jwt-public.pem"

for service in declaration relief-calc refund classification subscriptions reporting; do
    key="$dir/$service-data.key"
    if [ ! -s "$key" ]; then
        openssl rand -base64 32 > "$key"
    fi
    chmod 0644 "$key"
done
if [ ! -s "$dir/bank-callback.secret" ]; then
    openssl rand -hex 32 > "$dir/bank-callback.secret"
fi
chmod 0644 "$dir/bank-callback.secret"
echo "development secrets in $dir"
