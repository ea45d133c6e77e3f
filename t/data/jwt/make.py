#!/usr/bin/env python3
"""Makes the JWT test data of t/702-login-jwt.t and the JWT recipe.

Run once: python3 t/data/jwt/make.py (needs python3-cryptography).  The
keys are new on every run; only their public halves (jwks.json), the
HMAC test secret (hs256.key) and the tokens (tokens.txt, NAME TOKEN per
line) are kept.  The signatures are made here, by the cryptography
package, independently of the module that checks them.
"""

import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature)

here = os.path.dirname(os.path.abspath(__file__))

FUTURE = 4102444800     # 2100-01-01
PAST = 1600000000       # 2020-09-13


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def part(obj):
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def int_b64(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return b64(n.to_bytes(size, "big"))


def hs(secret, header, claims, bits=256):
    signing = (part(header) + "." + part(claims)).encode()
    digest = {256: hashlib.sha256, 384: hashlib.sha384,
              512: hashlib.sha512}[bits]
    return signing.decode() + "." + b64(hmac.new(secret, signing,
                                                 digest).digest())


def rs(key, header, claims, h=hashes.SHA256()):
    signing = (part(header) + "." + part(claims)).encode()
    sig = key.sign(signing, padding.PKCS1v15(), h)
    return signing.decode() + "." + b64(sig)


def es(key, header, claims, size=32, h=hashes.SHA256(), der=False):
    signing = (part(header) + "." + part(claims)).encode()
    sig = key.sign(signing, ec.ECDSA(h))
    if not der:
        r, s = decode_dss_signature(sig)
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return signing.decode() + "." + b64(sig)


def main():
    secret = os.urandom(32).hex().encode()          # 64 bytes of text
    other_secret = os.urandom(32).hex().encode()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_forger = rsa.generate_private_key(public_exponent=65537,
                                          key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec384 = ec.generate_private_key(ec.SECP384R1())

    rn = rsa_key.public_key().public_numbers()
    en = ec_key.public_key().public_numbers()
    e384 = ec384.public_key().public_numbers()

    jwks = {"keys": [
        {"kty": "RSA", "kid": "rsa1", "use": "sig", "alg": "RS256",
         "n": int_b64(rn.n), "e": int_b64(rn.e)},
        {"kty": "EC", "kid": "ec1", "use": "sig", "crv": "P-256",
         "x": int_b64(en.x, 32), "y": int_b64(en.y, 32)},
        {"kty": "EC", "kid": "ec384", "crv": "P-384",
         "x": int_b64(e384.x, 48), "y": int_b64(e384.y, 48)},
        {"kty": "RSA", "kid": "enc1", "use": "enc",
         "n": int_b64(rn.n), "e": int_b64(rn.e)},
    ]}

    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)

    alice = {"sub": "u-1001", "email": "alice@example.com",
             "preferred_username": "alice", "exp": FUTURE,
             "groups": ["staff", "ops"]}
    bob = {"sub": "u-1002", "preferred_username": "bob", "exp": FUTURE}

    t = {}
    t["hs256"] = hs(secret, {"alg": "HS256", "typ": "JWT"}, alice)
    t["hs512"] = hs(secret, {"alg": "HS512", "typ": "JWT"}, bob, 512)
    t["rs256"] = rs(rsa_key, {"alg": "RS256", "kid": "rsa1"}, alice)
    t["rs256_nokid"] = rs(rsa_key, {"alg": "RS256"}, bob)
    t["es256"] = es(ec_key, {"alg": "ES256", "kid": "ec1"}, bob)
    t["es384"] = es(ec384, {"alg": "ES384", "kid": "ec384"}, alice, 48,
                    hashes.SHA384())
    t["expired"] = hs(secret, {"alg": "HS256"},
                      dict(alice, exp=PAST, sub="u-1003"))
    t["expired_rs"] = rs(rsa_key, {"alg": "RS256", "kid": "rsa1"},
                         dict(bob, exp=PAST))
    t["not_yet"] = hs(secret, {"alg": "HS256"},
                      dict(alice, nbf=FUTURE - 1, sub="u-1004"))
    t["exp_string"] = hs(secret, {"alg": "HS256"},
                         dict(alice, exp="4102444800"))
    t["none"] = part({"alg": "none", "typ": "JWT"}) + "." + part(alice) + "."
    t["none_sig"] = (part({"alg": "none"}) + "." + part(alice) + "."
                     + t["hs256"].split(".")[2])
    t["none_case"] = part({"alg": "None"}) + "." + part(alice) + "."
    t["wrong_key"] = hs(other_secret, {"alg": "HS256"}, alice)
    t["forged_kid"] = rs(rsa_forger, {"alg": "RS256", "kid": "rsa1"},
                         alice)
    t["unknown_kid"] = rs(rsa_forger, {"alg": "RS256", "kid": "nosuch"},
                          alice)
    t["enc_kid"] = rs(rsa_key, {"alg": "RS256", "kid": "enc1"}, alice)
    t["kid_of_ec"] = rs(rsa_key, {"alg": "RS256", "kid": "ec1"}, alice)
    t["confused"] = hs(pem, {"alg": "HS256", "kid": "rsa1"}, alice)
    t["es256_der"] = es(ec_key, {"alg": "ES256", "kid": "ec1"}, bob,
                        der=True)
    t["es256_as_rs"] = (part({"alg": "RS256", "kid": "ec1"}) + "."
                        + t["es256"].split(".", 1)[1])
    t["crit"] = hs(secret, {"alg": "HS256", "crit": ["exp"]}, alice)
    t["tampered"] = (t["hs256"].split(".")[0] + "."
                     + part(dict(alice, sub="admin")) + "."
                     + t["hs256"].split(".")[2])
    t["two_parts"] = ".".join(t["hs256"].split(".")[:2])
    t["padded"] = t["hs256"] + "="
    t["rs256_alice"] = t["rs256"]

    with open(os.path.join(here, "hs256.key"), "wb") as f:
        f.write(secret + b"\n")
    with open(os.path.join(here, "jwks.json"), "w") as f:
        json.dump(jwks, f, indent=2)
        f.write("\n")
    with open(os.path.join(here, "tokens.txt"), "w") as f:
        for name in sorted(t):
            f.write("%s %s\n" % (name, t[name]))


if __name__ == "__main__":
    sys.exit(main())
