#!/usr/bin/env python3
"""Interop peer for s3seal: the OFFICIAL Amazon S3 Encryption Client for Python (PyPI
`amazon-s3-encryption-client-python`, pinned in requirements.txt next to this file).

tests/interop.rs runs it with the venv that scripts/test-env.sh builds; it talks to the same
LocalStack (S3 + KMS over HTTPS) as s3seal, taken from the environment:
  S3SEAL_TEST_ENDPOINT  https://127.0.0.1:PORT
  S3SEAL_TEST_CA        the throwaway CA that signed LocalStack's certificate
  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION

Subcommands (each prints one JSON object on stdout; on failure one line
`s3ec_peer: error: ...` on stderr and exit status 1):
  put   encrypt FILE with the official client (KMS keyring), V3 by default or --format v2;
        files from 8 MiB up go through its multipart path (upload_file, 8 MiB parts)
  get   decrypt with the official client: --kms-key (its KMS keyring) or --aes-key-hex (a small
        custom keyring that unwraps `AES/GCM` data keys; the Python client has no raw-AES one)
  head  the object's user metadata, size and ETag, read with a plain boto3 client
  move-envelope-to-instruction-file
        relocate an object's envelope into `<key>.instruction` (the Python client reads
        instruction files but cannot write them), laid out as the specification says
"""

import argparse
import json
import os
import sys

import boto3
from botocore.config import Config
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from s3_encryption import S3EncryptionClient, S3EncryptionClientConfig
from s3_encryption.exceptions import S3EncryptionClientError
from s3_encryption.materials import AlgorithmSuite, CommitmentPolicy, KmsKeyring
from s3_encryption.materials.keyring import S3Keyring
from s3_encryption.metadata import VALID_S3EC_METADATA_KEYS

# The V3 keys that stay on the object when the rest of the envelope is in an instruction file.
V3_OBJECT_ONLY_KEYS = {"x-amz-c", "x-amz-d", "x-amz-i"}
INSTRUCTION_SUFFIX = ".instruction"


class PeerError(Exception):
    """A problem with the peer's own input or environment (not the client under test)."""


def env(name):
    value = os.environ.get(name)
    if not value:
        raise PeerError(
            f"{name} is not set: run through `scripts/test-env.sh cargo test --test interop`, "
            "which starts LocalStack and exports the endpoint, CA and credentials"
        )
    return value


def boto_client(service):
    """A plain boto3 client for the test server (path-style S3, the test CA)."""
    return boto3.client(
        service,
        endpoint_url=env("S3SEAL_TEST_ENDPOINT"),
        verify=env("S3SEAL_TEST_CA"),
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )


def parse_context(pairs):
    context = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise PeerError(f"--context wants NAME=VALUE, got {pair!r}")
        context[name] = value
    return context


class RawAesGcmKeyring(S3Keyring):
    """Read-only keyring for the `AES/GCM` wrap of a raw 256-bit master key.

    EDK = nonce(12) || AES-256-GCM(master, nonce, AAD, data key) || tag(16). The AAD is what the
    official Java (V2) and Ruby (V3) clients use: "AES/GCM/NoPadding" for V2 objects, the suite id
    "115" for V3 objects. The pipeline fills `iv` in the decryption materials only for V1/V2
    objects (V3 has a message id instead), which is how this keyring tells them apart.
    `aad_override` forces one AAD (used to show the AAD really is bound into the EDK).
    """

    def __init__(self, wrapping_key, aad_override=None):
        if len(wrapping_key) != 32:
            raise PeerError(f"the AES master key must be 32 bytes, got {len(wrapping_key)}")
        self.wrapping_key = wrapping_key
        self.aad_override = aad_override
        self.used_aad = None

    def on_encrypt(self, enc_materials):
        raise S3EncryptionClientError("RawAesGcmKeyring is read-only (the peer never writes raw AES)")

    def on_decrypt(self, dec_materials, encrypted_data_keys=None):
        dec_materials = super().on_decrypt(dec_materials, encrypted_data_keys)
        edks = encrypted_data_keys if encrypted_data_keys is not None else dec_materials.encrypted_data_keys
        edk = edks[0]
        if edk.key_provider_info != "AES/GCM":
            raise S3EncryptionClientError(
                f"RawAesGcmKeyring cannot unwrap {edk.key_provider_info!r} data keys"
            )
        blob = edk.encrypted_data_key
        if len(blob) != 12 + 32 + 16:
            raise S3EncryptionClientError(
                f"AES/GCM encrypted data key is {len(blob)} bytes, expected 60"
            )
        if self.aad_override is not None:
            aad = self.aad_override
        elif dec_materials.iv is not None:
            aad = "AES/GCM/NoPadding"
        else:
            aad = "115"
        self.used_aad = aad
        dec_materials.plaintext_data_key = AESGCM(self.wrapping_key).decrypt(
            blob[:12], blob[12:], aad.encode("ascii")
        )
        return dec_materials


def head(args):
    s3 = boto_client("s3")
    out = s3.head_object(Bucket=args.bucket, Key=args.key)
    return {
        "metadata": out.get("Metadata", {}),
        "content_length": out["ContentLength"],
        "etag": out.get("ETag", "").strip('"'),
    }


def put(args):
    s3 = boto_client("s3")
    keyring = KmsKeyring(kms_client=boto_client("kms"), kms_key_id=args.kms_key)
    if args.format == "v2":
        config = S3EncryptionClientConfig(
            keyring=keyring,
            encryption_algorithm=AlgorithmSuite.ALG_AES_256_GCM_IV12_TAG16_NO_KDF,
            commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT,
        )
    else:
        config = S3EncryptionClientConfig(keyring=keyring)  # the client's defaults: V3
    client = S3EncryptionClient(s3, config)
    extra = {}
    context = parse_context(args.context)
    if context:
        extra["EncryptionContext"] = context
    client.upload_file(args.file, args.bucket, args.key, **extra)
    result = head(args)
    result["plaintext_length"] = os.path.getsize(args.file)
    return result


def get(args):
    # The official client registers hooks on the boto3 client it wraps: give it its own.
    s3 = boto_client("s3")
    raw_keyring = None
    if args.aes_key_hex:
        try:
            master = bytes.fromhex(args.aes_key_hex)
        except ValueError as e:
            raise PeerError(f"--aes-key-hex is not hex: {e}") from e
        raw_keyring = RawAesGcmKeyring(master, aad_override=args.wrap_aad)
        keyring = raw_keyring
    else:
        keyring = KmsKeyring(kms_client=boto_client("kms"), kms_key_id=args.kms_key)
    policy = (
        CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
        if args.allow_v2
        else CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    )
    client = S3EncryptionClient(
        s3, S3EncryptionClientConfig(keyring=keyring, commitment_policy=policy)
    )
    request = {"Bucket": args.bucket, "Key": args.key}
    context = parse_context(args.context)
    if context:
        request["EncryptionContext"] = context
    response = client.get_object(**request)
    data = response["Body"].read()
    with open(args.out, "wb") as f:
        f.write(data)
    result = {"bytes": len(data)}
    if raw_keyring is not None:
        result["aad"] = raw_keyring.used_aad
    return result


def move_envelope_to_instruction_file(args):
    s3 = boto_client("s3")
    out = s3.head_object(Bucket=args.bucket, Key=args.key)
    metadata = dict(out.get("Metadata", {}))
    is_v3 = "x-amz-3" in metadata
    moved = {
        k: v
        for k, v in metadata.items()
        if k in VALID_S3EC_METADATA_KEYS and not (is_v3 and k in V3_OBJECT_ONLY_KEYS)
    }
    if not moved:
        raise PeerError(f"s3://{args.bucket}/{args.key} has no envelope in its metadata")
    kept = {k: v for k, v in metadata.items() if k not in moved}
    s3.put_object(
        Bucket=args.bucket,
        Key=args.key + INSTRUCTION_SUFFIX,
        Body=json.dumps(moved).encode("utf-8"),
        ContentType="application/json",
        Metadata={"x-amz-crypto-instr-file": ""},
    )
    s3.copy_object(
        Bucket=args.bucket,
        Key=args.key,
        CopySource={"Bucket": args.bucket, "Key": args.key},
        Metadata=kept,
        MetadataDirective="REPLACE",
    )
    return {"instruction_file": sorted(moved), "object_metadata": sorted(kept)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def object_args(p):
        p.add_argument("--bucket", required=True)
        p.add_argument("--key", required=True)

    p = sub.add_parser("put", help="encrypt and upload with the official client (KMS)")
    object_args(p)
    p.add_argument("--file", required=True)
    p.add_argument("--kms-key", required=True)
    p.add_argument("--format", choices=["v2", "v3"], default="v3")
    p.add_argument("--context", action="append", metavar="NAME=VALUE")
    p.set_defaults(run=put)

    p = sub.add_parser("get", help="download and decrypt with the official client")
    object_args(p)
    p.add_argument("--out", required=True)
    keys = p.add_mutually_exclusive_group(required=True)
    keys.add_argument("--kms-key")
    keys.add_argument("--aes-key-hex")
    p.add_argument("--wrap-aad", help="force this AAD for the AES/GCM unwrap")
    p.add_argument("--context", action="append", metavar="NAME=VALUE")
    p.add_argument("--allow-v2", action="store_true", help="commitment policy that reads V2")
    p.set_defaults(run=get)

    p = sub.add_parser("head", help="user metadata, size and ETag of an object")
    object_args(p)
    p.set_defaults(run=head)

    p = sub.add_parser(
        "move-envelope-to-instruction-file", help="relocate the envelope into KEY.instruction"
    )
    object_args(p)
    p.set_defaults(run=move_envelope_to_instruction_file)

    args = parser.parse_args()
    try:
        result = args.run(args)
    except Exception as e:  # noqa: BLE001 - the one place that reports errors
        # The client wraps low-level errors (cryptography's InvalidTag has no message): show
        # the whole cause chain on the one line.
        chain, seen = [], e
        while seen is not None and len(chain) < 8:
            chain.append(f"{type(seen).__name__}: {seen}".rstrip(": "))
            seen = seen.__cause__ or seen.__context__
        print(f"s3ec_peer: error: {' <- '.join(chain)}", file=sys.stderr)
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
