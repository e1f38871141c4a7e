"""Container signature policy, decided exactly as podman, skopeo and CRI-O decide it.

containers_policy reads ``policy.json`` and ``registries.d`` as containers/image does, verifies
"simple signing" OpenPGP signatures, and answers "may this image run?" with containers/image's verdicts
and messages. It also reads and publishes signatures in lookaside stores (``file://``, ``http(s)://``,
signature servers with the ``/upload`` JSON API, Nexus RAW repositories).

>>> import containers_policy as cp
>>> policy = cp.Policy.from_json('{"default": [{"type": "reject"}]}')
>>> ctx = cp.PolicyContext(policy)
>>> ctx.evaluate("docker://busybox", b"{}", []).reason
'Running image docker://busybox:latest is rejected by policy.'

All objects are immutable and may be shared between threads; the GIL is released while verifying
signatures, reading files and talking to servers.
"""

from ._native import (
    AcceptedSignature,
    AuthError,
    ConfigError,
    ContainersPolicyError,
    Decision,
    FileAccessError,
    InvalidPolicyError,
    InvalidReferenceError,
    InvalidSignatureError,
    LookasideError,
    ManifestError,
    Policy,
    PolicyContext,
    PolicyRequirementError,
    RegistriesD,
    RegistryError,
    RemoteImage,
    RemoteSource,
    Requirement,
    RequirementResult,
    SignatureLocation,
    SignatureResult,
    SignedIdentity,
    UploadError,
    Uploader,
    UploadResult,
    __version__,
    default_policy_path,
    generate_key,
    manifest_digest,
    sign,
    verify_signature,
)

__all__ = [
    "AcceptedSignature",
    "AuthError",
    "ConfigError",
    "ContainersPolicyError",
    "Decision",
    "FileAccessError",
    "InvalidPolicyError",
    "InvalidReferenceError",
    "InvalidSignatureError",
    "LookasideError",
    "ManifestError",
    "Policy",
    "PolicyContext",
    "PolicyRequirementError",
    "RegistriesD",
    "RegistryError",
    "RemoteImage",
    "RemoteSource",
    "Requirement",
    "RequirementResult",
    "SignatureLocation",
    "SignatureResult",
    "SignedIdentity",
    "UploadError",
    "Uploader",
    "UploadResult",
    "__version__",
    "default_policy_path",
    "generate_key",
    "manifest_digest",
    "sign",
    "verify_signature",
]
