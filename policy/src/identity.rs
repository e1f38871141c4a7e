//! `signedIdentity` rules (containers/image `PolicyReferenceMatch`): which docker reference a signature may
//! claim for a given image.
//!
//! Every rule parses the signature's claimed reference with `ParseNormalizedNamed`; a reference that does not
//! parse never matches.

use crate::{
    Error,
    error::go_quote,
    reference::{self, DockerReference, ReferenceError},
};

/// One of the six `signedIdentity` rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignedIdentity {
    /// `matchExact`
    MatchExact,
    /// `matchRepoDigestOrExact` (the default)
    #[default]
    MatchRepoDigestOrExact,
    /// `matchRepository`
    MatchRepository,
    /// `exactReference` with `dockerReference`
    ExactReference {
        /// The reference, as written in the policy.
        docker_reference: String,
    },
    /// `exactRepository` with `dockerRepository`
    ExactRepository {
        /// The repository, as written in the policy.
        docker_repository: String,
    },
    /// `remapIdentity` with `prefix` and `signedPrefix`
    RemapIdentity {
        /// The prefix of the image name to replace.
        prefix: String,
        /// What the signature must claim instead.
        signed_prefix: String,
    },
}

impl SignedIdentity {
    /// Builds `exactReference`, validating as `NewPRMExactReference`
    /// (`Invalid format of dockerReference "x": <err>`, `dockerReference "x" contains neither a tag nor digest`).
    pub fn exact_reference(docker_reference: &str) -> Result<Self, Error> {
        let parsed = DockerReference::parse_normalized(docker_reference).map_err(|e| {
            Error::InvalidPolicyFormat(format!(
                "Invalid format of dockerReference {}: {e}",
                go_quote(docker_reference)
            ))
        })?;
        if parsed.is_name_only() {
            return Err(Error::InvalidPolicyFormat(format!(
                "dockerReference {} contains neither a tag nor digest",
                go_quote(docker_reference)
            )));
        }
        Ok(SignedIdentity::ExactReference {
            docker_reference: docker_reference.to_owned(),
        })
    }
    /// Builds `exactRepository` (`Invalid format of dockerRepository "x": <err>`).
    pub fn exact_repository(docker_repository: &str) -> Result<Self, Error> {
        DockerReference::parse_normalized(docker_repository).map_err(|e| {
            Error::InvalidPolicyFormat(format!(
                "Invalid format of dockerRepository {}: {e}",
                go_quote(docker_repository)
            ))
        })?;
        Ok(SignedIdentity::ExactRepository {
            docker_repository: docker_repository.to_owned(),
        })
    }
    /// Builds `remapIdentity` (`prefix "x" is not valid`).
    pub fn remap_identity(prefix: &str, signed_prefix: &str) -> Result<Self, Error> {
        validate_identity_remapping_prefix(prefix)?;
        validate_identity_remapping_prefix(signed_prefix)?;
        Ok(SignedIdentity::RemapIdentity {
            prefix: prefix.to_owned(),
            signed_prefix: signed_prefix.to_owned(),
        })
    }
    /// The JSON `type` name, e.g. `matchRepoDigestOrExact`.
    pub fn type_name(&self) -> &'static str {
        match self {
            SignedIdentity::MatchExact => "matchExact",
            SignedIdentity::MatchRepoDigestOrExact => "matchRepoDigestOrExact",
            SignedIdentity::MatchRepository => "matchRepository",
            SignedIdentity::ExactReference { .. } => "exactReference",
            SignedIdentity::ExactRepository { .. } => "exactRepository",
            SignedIdentity::RemapIdentity { .. } => "remapIdentity",
        }
    }
    /// `matchesDockerReference(image, signatureDockerReference)`: whether a signature claiming
    /// `signature_reference` is acceptable for an image whose docker identity is `image`.
    ///
    /// `image` is `image.Reference().DockerReference()`; `None` (e.g. `dir:` images) never matches the
    /// `match*` and `remapIdentity` rules. `exactReference` and `exactRepository` do not consult `image`.
    pub fn matches(&self, image: Option<&DockerReference>, signature_reference: &str) -> bool {
        match self {
            SignedIdentity::MatchExact => {
                let Some((intended, signature)) =
                    parse_image_and_signature(image, signature_reference)
                else {
                    return false;
                };
                !intended.is_name_only() && !signature.is_name_only() && signature == *intended
            }
            SignedIdentity::MatchRepoDigestOrExact => {
                let Some((intended, signature)) =
                    parse_image_and_signature(image, signature_reference)
                else {
                    return false;
                };
                match_repo_digest_or_exact(intended, &signature)
            }
            SignedIdentity::MatchRepository => {
                let Some((intended, signature)) =
                    parse_image_and_signature(image, signature_reference)
                else {
                    return false;
                };
                signature.name_str() == intended.name_str()
            }
            SignedIdentity::ExactReference { docker_reference } => {
                let (Ok(intended), Ok(signature)) = (
                    DockerReference::parse_normalized(docker_reference),
                    DockerReference::parse_normalized(signature_reference),
                ) else {
                    return false;
                };
                !intended.is_name_only() && !signature.is_name_only() && signature == intended
            }
            SignedIdentity::ExactRepository { docker_repository } => {
                let (Ok(intended), Ok(signature)) = (
                    DockerReference::parse_normalized(docker_repository),
                    DockerReference::parse_normalized(signature_reference),
                ) else {
                    return false;
                };
                signature.name_str() == intended.name_str()
            }
            SignedIdentity::RemapIdentity {
                prefix,
                signed_prefix,
            } => {
                let Some((intended, signature)) =
                    parse_image_and_signature(image, signature_reference)
                else {
                    return false;
                };
                match remap_reference_prefix(prefix, signed_prefix, intended) {
                    Ok(None) => match_repo_digest_or_exact(intended, &signature),
                    Ok(Some(remapped)) => match_repo_digest_or_exact(&remapped, &signature),
                    Err(_) => false,
                }
            }
        }
    }
}

/// `parseImageAndDockerReference`: the image's identity (required) and the parsed signature claim.
fn parse_image_and_signature<'a>(
    image: Option<&'a DockerReference>,
    signature_reference: &str,
) -> Option<(&'a DockerReference, DockerReference)> {
    let intended = image?;
    let signature = DockerReference::parse_normalized(signature_reference).ok()?;
    Some((intended, signature))
}

/// `matchRepoDigestOrExactReferenceValues`.
fn match_repo_digest_or_exact(intended: &DockerReference, signature: &DockerReference) -> bool {
    if signature.is_name_only() {
        return false;
    }
    if intended.tag().is_some() {
        // Includes the case when intended has both a tag and a digest.
        signature == intended
    } else if intended.digest().is_some() {
        // The digest itself is checked against the manifest elsewhere.
        signature.name_str() == intended.name_str()
    } else {
        false
    }
}

/// `prmRemapIdentity.refMatchesPrefix`: `ref.Name()` equals `prefix` or continues it with `/`.
fn ref_matches_prefix(prefix: &str, reference: &DockerReference) -> bool {
    let name = reference.name_str();
    match name.len().cmp(&prefix.len()) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => name == prefix,
        std::cmp::Ordering::Greater => {
            name.starts_with(prefix) && name.as_bytes()[prefix.len()] == b'/'
        }
    }
}

/// `prmRemapIdentity.remapReferencePrefix`: `Ok(None)` if `reference` does not match `prefix`, else the
/// rewritten reference, which must parse canonically.
fn remap_reference_prefix(
    prefix: &str,
    signed_prefix: &str,
    reference: &DockerReference,
) -> Result<Option<DockerReference>, ReferenceError> {
    if !ref_matches_prefix(prefix, reference) {
        return Ok(None);
    }
    let rewritten = reference.as_str().replacen(prefix, signed_prefix, 1);
    DockerReference::parse_canonical(&rewritten).map(Some)
}

/// `validateIdentityRemappingPrefix`: `s` must be a domain (`host[:port]`), or a name that starts with one.
/// (`shortname` and `ns/shortname` are accepted, as upstream does, and never work.)
fn validate_identity_remapping_prefix(s: &str) -> Result<(), Error> {
    let domain_prefixed = s
        .split_once('/')
        .is_some_and(|(first, _)| reference::is_domain(first));
    if reference::is_domain(s) || (reference::match_name(s).is_some() && domain_prefixed) {
        return Ok(());
    }
    Err(Error::InvalidPolicyFormat(format!(
        "prefix {} is not valid",
        go_quote(s)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL_RHEL_REF: &str = "registry.access.redhat.com/rhel7/rhel:7.2.3";
    const UNTAGGED_RHEL_REF: &str = "registry.access.redhat.com/rhel7/rhel";
    const DIGEST_SUFFIX: &str =
        "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const DIGEST_SUFFIX_OTHER: &str =
        "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn s(parts: &[&str]) -> String {
        parts.concat()
    }

    /// `prmExactMatchTestTable`: symmetric.
    fn exact_match_table() -> Vec<(String, String, bool)> {
        let d = DIGEST_SUFFIX;
        let o = DIGEST_SUFFIX_OTHER;
        vec![
            // Success, simple matches
            (s(&["busybox:latest"]), s(&["busybox:latest"]), true),
            (s(&[FULL_RHEL_REF]), s(&[FULL_RHEL_REF]), true),
            (s(&["busybox", d]), s(&["busybox", d]), true),
            // Non-canonical reference format is canonicalized
            (s(&["library/busybox:latest"]), s(&["busybox:latest"]), true),
            (
                s(&["docker.io/library/busybox:latest"]),
                s(&["busybox:latest"]),
                true,
            ),
            (s(&["library/busybox", d]), s(&["busybox", d]), true),
            // Mismatch
            (s(&["busybox:latest"]), s(&["busybox:notlatest"]), false),
            (s(&["busybox:latest"]), s(&["notbusybox:latest"]), false),
            (
                s(&["busybox:latest"]),
                s(&["hostname/library/busybox:notlatest"]),
                false,
            ),
            (
                s(&["hostname/library/busybox:latest"]),
                s(&["busybox:notlatest"]),
                false,
            ),
            (s(&["busybox:latest"]), s(&[FULL_RHEL_REF]), false),
            (s(&["busybox", d]), s(&["notbusybox", d]), false),
            (s(&["busybox:latest"]), s(&["busybox", d]), false),
            (s(&["busybox", d]), s(&["busybox", o]), false),
            // NameOnly references
            (s(&["busybox"]), s(&["busybox:latest"]), false),
            (s(&["busybox"]), s(&["busybox", d]), false),
            (s(&["busybox"]), s(&["busybox"]), false),
            // References with both tags and digests: We match them exactly (requiring BOTH to match)
            (s(&["busybox:latest", d]), s(&["busybox:latest", d]), true),
            (s(&["busybox:latest", d]), s(&["busybox:latest", o]), false),
            (
                s(&["busybox:latest", d]),
                s(&["busybox:notlatest", d]),
                false,
            ),
            (s(&["busybox:latest", d]), s(&["busybox", d]), false),
            (s(&["busybox:latest", d]), s(&["busybox:latest"]), false),
            // Invalid format
            (
                s(&["UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES"]),
                s(&["busybox:latest"]),
                false,
            ),
            (
                s(&[""]),
                s(&["UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES"]),
                false,
            ),
            // Even if they are exactly equal, invalid values are rejected.
            (s(&["INVALID"]), s(&["INVALID"]), false),
        ]
    }

    /// `prmRepositoryMatchTestTable`: symmetric.
    fn repository_match_table() -> Vec<(String, String, bool)> {
        let d = DIGEST_SUFFIX;
        let o = DIGEST_SUFFIX_OTHER;
        vec![
            // Success, simple matches
            (s(&["busybox:latest"]), s(&["busybox:latest"]), true),
            (s(&[FULL_RHEL_REF]), s(&[FULL_RHEL_REF]), true),
            (s(&["busybox", d]), s(&["busybox", d]), true),
            // Non-canonical reference format is canonicalized
            (s(&["library/busybox:latest"]), s(&["busybox:latest"]), true),
            (
                s(&["docker.io/library/busybox:latest"]),
                s(&["busybox:latest"]),
                true,
            ),
            (s(&["library/busybox", d]), s(&["busybox", d]), true),
            // The same as above, but with mismatching tags
            (s(&["busybox:latest"]), s(&["busybox:notlatest"]), true),
            (s(&[FULL_RHEL_REF, "tagsuffix"]), s(&[FULL_RHEL_REF]), true),
            (
                s(&["library/busybox:latest"]),
                s(&["busybox:notlatest"]),
                true,
            ),
            (
                s(&["busybox:latest"]),
                s(&["library/busybox:notlatest"]),
                true,
            ),
            (
                s(&["docker.io/library/busybox:notlatest"]),
                s(&["busybox:latest"]),
                true,
            ),
            (
                s(&["busybox:notlatest"]),
                s(&["docker.io/library/busybox:latest"]),
                true,
            ),
            (s(&["busybox:latest"]), s(&["busybox", d]), true),
            (s(&["busybox", d]), s(&["busybox", o]), true),
            // The same as above, but with defaulted tags (which can happen with /usr/bin/cosign)
            (s(&["busybox"]), s(&["busybox:notlatest"]), true),
            (s(&[FULL_RHEL_REF]), s(&[UNTAGGED_RHEL_REF]), true),
            (s(&["busybox"]), s(&["busybox", d]), true),
            (s(&["library/busybox"]), s(&["busybox"]), true),
            (s(&["docker.io/library/busybox"]), s(&["busybox"]), true),
            // Mismatch
            (s(&["busybox:latest"]), s(&["notbusybox:latest"]), false),
            (
                s(&["hostname/library/busybox:latest"]),
                s(&["busybox:notlatest"]),
                false,
            ),
            (s(&["busybox:latest"]), s(&[FULL_RHEL_REF]), false),
            (s(&["busybox", d]), s(&["notbusybox", d]), false),
            // References with both tags and digests: We ignore both anyway.
            (s(&["busybox:latest", d]), s(&["busybox:latest", d]), true),
            (s(&["busybox:latest", d]), s(&["busybox:latest", o]), true),
            (
                s(&["busybox:latest", d]),
                s(&["busybox:notlatest", d]),
                true,
            ),
            (s(&["busybox:latest", d]), s(&["busybox", d]), true),
            (s(&["busybox:latest", d]), s(&["busybox:latest"]), true),
            // Invalid format
            (
                s(&["UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES"]),
                s(&["busybox:latest"]),
                false,
            ),
            (
                s(&[""]),
                s(&["UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES"]),
                false,
            ),
            // Even if they are exactly equal, invalid values are rejected.
            (s(&["INVALID"]), s(&["INVALID"]), false),
        ]
    }

    /// `matchRepoDigestOrExactTestTable`: (image, signature, result), possibly asymmetric.
    fn repo_digest_or_exact_table() -> Vec<(String, String, bool)> {
        let d = DIGEST_SUFFIX;
        let o = DIGEST_SUFFIX_OTHER;
        vec![
            // Tag mismatch
            (s(&["busybox:latest"]), s(&["busybox:notlatest"]), false),
            (s(&[FULL_RHEL_REF, "tagsuffix"]), s(&[FULL_RHEL_REF]), false),
            (
                s(&["library/busybox:latest"]),
                s(&["busybox:notlatest"]),
                false,
            ),
            (
                s(&["busybox:latest"]),
                s(&["library/busybox:notlatest"]),
                false,
            ),
            (
                s(&["docker.io/library/busybox:notlatest"]),
                s(&["busybox:latest"]),
                false,
            ),
            (
                s(&["busybox:notlatest"]),
                s(&["docker.io/library/busybox:latest"]),
                false,
            ),
            // NameOnly references
            (s(&["busybox"]), s(&["busybox:latest"]), false),
            (s(&["busybox:latest"]), s(&["busybox"]), false),
            (s(&["busybox"]), s(&["busybox", d]), false),
            (s(&["busybox", d]), s(&["busybox"]), false),
            (s(&[FULL_RHEL_REF]), s(&[UNTAGGED_RHEL_REF]), false),
            (s(&["busybox"]), s(&["busybox"]), false),
            // Tag references only accept signatures with matching tags.
            (s(&["busybox:latest"]), s(&["busybox", d]), false),
            // Digest references accept any signature with matching repository.
            (s(&["busybox", d]), s(&["busybox:latest"]), true),
            (s(&["busybox", d]), s(&["busybox", o]), true),
            // References with both tags and digests: We match them exactly (requiring BOTH to match).
            (s(&["busybox:latest", d]), s(&["busybox:latest"]), false),
            (s(&["busybox:latest", d]), s(&["busybox:notlatest"]), false),
            (s(&["busybox:latest"]), s(&["busybox:latest", d]), false),
            (s(&["busybox:latest", d]), s(&["busybox:latest", o]), false),
            (
                s(&["busybox:latest", d]),
                s(&["busybox:notlatest", o]),
                false,
            ),
        ]
    }

    fn pn(s: &str) -> DockerReference {
        DockerReference::parse_normalized(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// `testImageAndSig`
    fn test_image_and_sig(prm: &SignedIdentity, image: &str, sig: &str, result: bool) {
        let image_ref = pn(image);
        assert_eq!(
            prm.matches(Some(&image_ref), sig),
            result,
            "{prm:?}: {image} vs. {sig}"
        );
    }

    /// `testPossiblyInvalidImageAndSig`
    fn test_possibly_invalid_image_and_sig(
        prm: &SignedIdentity,
        image: &str,
        sig: &str,
        result: bool,
    ) {
        if DockerReference::parse_normalized(image).is_ok() {
            test_image_and_sig(prm, image, sig, result);
        }
    }

    #[test]
    fn match_repo_digest_or_exact_reference_values() {
        let both = |a: &str, b: &str| {
            (
                DockerReference::parse_normalized(a),
                DockerReference::parse_normalized(b),
            )
        };
        for (a, b, result) in exact_match_table().into_iter().filter(|t| t.2) {
            if let (Ok(ra), Ok(rb)) = both(&a, &b) {
                assert_eq!(match_repo_digest_or_exact(&ra, &rb), result, "{a} vs. {b}");
                assert_eq!(match_repo_digest_or_exact(&rb, &ra), result, "{b} vs. {a}");
            }
        }
        for (a, b, result) in repository_match_table().into_iter().filter(|t| !t.2) {
            if let (Ok(ra), Ok(rb)) = both(&a, &b) {
                assert_eq!(match_repo_digest_or_exact(&ra, &rb), result, "{a} vs. {b}");
                assert_eq!(match_repo_digest_or_exact(&rb, &ra), result, "{b} vs. {a}");
            }
        }
        for (image, sig, result) in repo_digest_or_exact_table() {
            assert_eq!(
                match_repo_digest_or_exact(&pn(&image), &pn(&sig)),
                result,
                "{image} vs. {sig}"
            );
        }
    }

    #[test]
    fn match_exact() {
        let prm = SignedIdentity::MatchExact;
        for (a, b, result) in exact_match_table() {
            test_possibly_invalid_image_and_sig(&prm, &a, &b, result);
            test_possibly_invalid_image_and_sig(&prm, &b, &a, result);
        }
        assert!(!prm.matches(None, ""));
        assert!(!prm.matches(None, "busybox:latest"));
    }

    #[test]
    fn match_repo_digest_or_exact_rule() {
        let prm = SignedIdentity::MatchRepoDigestOrExact;
        assert_eq!(prm, SignedIdentity::default());
        for (a, b, result) in exact_match_table().into_iter().filter(|t| t.2) {
            test_possibly_invalid_image_and_sig(&prm, &a, &b, result);
            test_possibly_invalid_image_and_sig(&prm, &b, &a, result);
        }
        for (a, b, result) in repository_match_table().into_iter().filter(|t| !t.2) {
            test_possibly_invalid_image_and_sig(&prm, &a, &b, result);
            test_possibly_invalid_image_and_sig(&prm, &b, &a, result);
        }
        for (image, sig, result) in repo_digest_or_exact_table() {
            test_image_and_sig(&prm, &image, &sig, result);
        }
        assert!(!prm.matches(None, "busybox:latest"));
    }

    #[test]
    fn match_repository() {
        let prm = SignedIdentity::MatchRepository;
        for (a, b, result) in repository_match_table() {
            test_possibly_invalid_image_and_sig(&prm, &a, &b, result);
            test_possibly_invalid_image_and_sig(&prm, &b, &a, result);
        }
        assert!(!prm.matches(None, ""));
    }

    #[test]
    fn exact_reference_matches() {
        // Built directly (not via the constructor), to also cover invalid values.
        for (a, b, result) in exact_match_table() {
            for (policy, sig) in [(&a, &b), (&b, &a)] {
                let prm = SignedIdentity::ExactReference {
                    docker_reference: policy.clone(),
                };
                assert_eq!(prm.matches(None, sig), result, "{policy} vs. {sig}");
                // The image is not consulted.
                assert_eq!(
                    prm.matches(Some(&pn("unrelated:1")), sig),
                    result,
                    "{policy} vs. {sig}"
                );
            }
        }
    }

    #[test]
    fn exact_repository_matches() {
        for (a, b, result) in repository_match_table() {
            for (policy, sig) in [(&a, &b), (&b, &a)] {
                let prm = SignedIdentity::ExactRepository {
                    docker_repository: policy.clone(),
                };
                assert_eq!(prm.matches(None, sig), result, "{policy} vs. {sig}");
                assert_eq!(
                    prm.matches(Some(&pn("unrelated:1")), sig),
                    result,
                    "{policy} vs. {sig}"
                );
            }
        }
    }

    #[test]
    fn constructors() {
        assert_eq!(
            SignedIdentity::exact_reference("busybox:1").unwrap(),
            SignedIdentity::ExactReference {
                docker_reference: "busybox:1".into()
            }
        );
        assert_eq!(
            SignedIdentity::exact_reference("UPPER")
                .unwrap_err()
                .to_string(),
            r#"Invalid format of dockerReference "UPPER": invalid reference format: repository name must be lowercase"#
        );
        assert_eq!(
            SignedIdentity::exact_reference("busybox")
                .unwrap_err()
                .to_string(),
            r#"dockerReference "busybox" contains neither a tag nor digest"#
        );
        assert_eq!(
            SignedIdentity::exact_reference("").unwrap_err().to_string(),
            r#"Invalid format of dockerReference "": invalid reference format"#
        );
        assert_eq!(
            SignedIdentity::exact_repository("busybox:1").unwrap(),
            SignedIdentity::ExactRepository {
                docker_repository: "busybox:1".into()
            }
        );
        assert_eq!(
            SignedIdentity::exact_repository("a@sha256:x")
                .unwrap_err()
                .to_string(),
            r#"Invalid format of dockerRepository "a@sha256:x": invalid reference format"#
        );
        assert_eq!(
            SignedIdentity::remap_identity("example.com", "docker.io/library").unwrap(),
            SignedIdentity::RemapIdentity {
                prefix: "example.com".into(),
                signed_prefix: "docker.io/library".into()
            }
        );
        assert_eq!(
            SignedIdentity::remap_identity("example.com/", "docker.io")
                .unwrap_err()
                .to_string(),
            r#"prefix "example.com/" is not valid"#
        );
        assert_eq!(
            SignedIdentity::remap_identity("docker.io", "x:tag")
                .unwrap_err()
                .to_string(),
            r#"prefix "x:tag" is not valid"#
        );
        for e in [
            SignedIdentity::exact_reference("busybox").unwrap_err(),
            SignedIdentity::remap_identity("", "x").unwrap_err(),
        ] {
            assert_eq!(e.kind(), crate::ErrorKind::InvalidPolicy);
        }
    }

    // policy_config_test.go TestValidateIdentityRemappingPrefix
    #[test]
    fn validate_identity_remapping_prefix_table() {
        for s in [
            "localhost",
            "example.com",
            "example.com:80",
            "example.com/repo",
            "example.com/ns1/ns2/ns3/repo.with.dots-dashes_underscores",
            "example.com:80/ns1/ns2/ns3/repo.with.dots-dashes_underscores",
            // Invalid, but accepted upstream.
            "shortname",
            "ns/shortname",
        ] {
            assert!(validate_identity_remapping_prefix(s).is_ok(), "{s}");
        }
        for s in [
            "",
            "repo_with_underscores",
            "example.com/",
            "example.com/UPPERCASEISINVALID",
            "example.com/repo/",
            "example.com/repo:tag",
            "example.com/repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "example.com/repo:tag@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(validate_identity_remapping_prefix(s).is_err(), "{s}");
        }
    }

    // TestPRMRemapIdentityRefMatchesPrefix
    #[test]
    fn remap_ref_matches_prefix() {
        let d = DIGEST_SUFFIX;
        let cases: Vec<(String, &str, bool)> = vec![
            // Prefix is a reference.Domain() value
            (s(&["docker.io/image"]), "docker.io", true),
            (s(&["docker.io/image"]), "example.com", false),
            (s(&["example.com:5000/image"]), "example.com:5000", true),
            (s(&["example.com:50000/image"]), "example.com:5000", false),
            (s(&["example.com:5000/image"]), "example.com", false),
            (s(&["example.com/foo"]), "example.com", true),
            (s(&["example.com/foo/bar"]), "example.com", true),
            (s(&["example.com/foo/bar:baz"]), "example.com", true),
            (s(&["example.com/foo/bar", d]), "example.com", true),
            // Prefix is a reference.Named.Name() value or a repo namespace
            (s(&["docker.io/ns/image"]), "docker.io/library", false),
            (s(&["example.com/library"]), "docker.io/library", false),
            (s(&["docker.io/libraryy/image"]), "docker.io/library", false),
            (s(&["docker.io/library/busybox"]), "docker.io/library", true),
            (s(&["example.com/ns/image"]), "example.com/ns", true),
            (s(&["example.com/ns2/image"]), "example.com/ns", false),
            (s(&["example.com/n2/image"]), "example.com/ns", false),
            (s(&["example.com"]), "example.com/library/busybox", false),
            (s(&["example.com:5000/ns/image"]), "example.com/ns", false),
            (s(&["example.com/ns/image"]), "example.com:5000/ns", false),
            (
                s(&["docker.io/library/busybox"]),
                "docker.io/library/busybox",
                true,
            ),
            (
                s(&["example.com/library/busybox"]),
                "docker.io/library/busybox",
                false,
            ),
            (
                s(&["docker.io/library/busybox2"]),
                "docker.io/library/busybox",
                false,
            ),
            (s(&["example.com/ns/image"]), "example.com/ns/image", true),
            (s(&["example.com/ns/imag2"]), "example.com/ns/image", false),
            (s(&["example.com/ns/imagee"]), "example.com/ns/image", false),
            (
                s(&["example.com:5000/ns/image"]),
                "example.com/ns/image",
                false,
            ),
            (
                s(&["example.com/ns/image"]),
                "example.com:5000/ns/image",
                false,
            ),
            (
                s(&["example.com/ns/image:tag"]),
                "example.com/ns/image",
                true,
            ),
            (
                s(&["example.com/ns/image", d]),
                "example.com/ns/image",
                true,
            ),
            (
                s(&["example.com/ns/image:tag", d]),
                "example.com/ns/image",
                true,
            ),
        ];
        for (reference, prefix, expected) in cases {
            SignedIdentity::remap_identity(prefix, "docker.io/library/signed-prefix").unwrap();
            assert_eq!(
                ref_matches_prefix(prefix, &pn(&reference)),
                expected,
                "{reference} vs. {prefix}"
            );
        }
    }

    // TestPRMRemapIdentityRemapReferencePrefix
    #[test]
    fn remap_reference_prefix_table() {
        let d = DIGEST_SUFFIX;
        let cases: Vec<(&str, &str, String, String)> = vec![
            // Match sanity checking, primarily tested in TestPRMRefMatchesPrefix
            (
                "mirror.example",
                "vendor.example",
                s(&["mirror.example/ns/image:tag"]),
                s(&["vendor.example/ns/image:tag"]),
            ),
            (
                "mirror.example",
                "vendor.example",
                s(&["different.com/ns/image:tag"]),
                s(&["different.com/ns/image:tag"]),
            ),
            (
                "mirror.example/ns",
                "vendor.example/vendor-ns",
                s(&["mirror.example/different-ns/image:tag"]),
                s(&["mirror.example/different-ns/image:tag"]),
            ),
            (
                "docker.io",
                "not-docker-signed.example/ns",
                s(&["busybox"]),
                s(&["not-docker-signed.example/ns/library/busybox"]),
            ),
            // Rewrites work as expected
            (
                "mirror.example",
                "vendor.example",
                s(&["mirror.example/ns/image:tag"]),
                s(&["vendor.example/ns/image:tag"]),
            ),
            (
                "example.com/mirror",
                "example.com/vendor",
                s(&["example.com/mirror/image:tag"]),
                s(&["example.com/vendor/image:tag"]),
            ),
            (
                "example.com/ns/mirror",
                "example.com/ns/vendor",
                s(&["example.com/ns/mirror:tag"]),
                s(&["example.com/ns/vendor:tag"]),
            ),
            (
                "mirror.example",
                "vendor.example",
                s(&["prefixmirror.example/ns/image:tag"]),
                s(&["prefixmirror.example/ns/image:tag"]),
            ),
            (
                "docker.io",
                "not-docker-signed.example",
                s(&["busybox"]),
                s(&["not-docker-signed.example/library/busybox"]),
            ),
            (
                "docker.io/library",
                "not-docker-signed.example/ns",
                s(&["busybox"]),
                s(&["not-docker-signed.example/ns/busybox"]),
            ),
            (
                "docker.io/library/busybox",
                "not-docker-signed.example/ns/notbusybox",
                s(&["busybox"]),
                s(&["not-docker-signed.example/ns/notbusybox"]),
            ),
            // On match, tag/digest is preserved
            (
                "mirror.example",
                "vendor.example",
                s(&["mirror.example/image"]),
                s(&["vendor.example/image"]),
            ),
            (
                "mirror.example",
                "vendor.example",
                s(&["mirror.example/image:tag"]),
                s(&["vendor.example/image:tag"]),
            ),
            (
                "mirror.example",
                "vendor.example",
                s(&["mirror.example/image", d]),
                s(&["vendor.example/image", d]),
            ),
            (
                "mirror.example",
                "vendor.example",
                s(&["mirror.example/image:tag", d]),
                s(&["vendor.example/image:tag", d]),
            ),
            // Rewrite creating an invalid reference
            (
                "mirror.example/ns/image",
                "vendor.example:5000",
                s(&["mirror.example/ns/image:tag"]),
                String::new(),
            ),
            // Rewrite creating a valid reference string in short format, which would imply a docker.io prefix and is rejected
            (
                "mirror.example/ns/image",
                "vendor.example:5000",
                s(&["mirror.example/ns/image", d]),
                String::new(),
            ),
            (
                "mirror.example/ns/image",
                "notlocalhost",
                s(&["mirror.example/ns/image:tag"]),
                String::new(),
            ),
        ];
        for (prefix, signed_prefix, reference, expected) in cases {
            SignedIdentity::remap_identity(prefix, signed_prefix).unwrap();
            let r = pn(&reference);
            let res = remap_reference_prefix(prefix, signed_prefix, &r);
            if expected.is_empty() {
                assert!(
                    res.is_err(),
                    "{prefix} {signed_prefix} {reference}: {res:?}"
                );
            } else {
                let got = res.unwrap().unwrap_or(r);
                assert_eq!(
                    got.to_string(),
                    expected,
                    "{prefix} {signed_prefix} {reference}"
                );
            }
        }
    }

    /// `modifiedString`: replaces the first letter.
    fn modified_string(input: &str) -> String {
        let c = input.as_bytes()[0];
        let c = match c {
            b'a'..=b'y' => c + 1,
            b'z' => b'a',
            _ => panic!("unimplemented leading character {c}"),
        };
        format!("{}{}", c as char, &input[1..])
    }

    /// `prmRemapIdentityMRDOETestCase`
    fn remap_mrdoe_case(ignore_invalid_image: bool, image: &str, sig: &str, result: bool) {
        let parsed = match DockerReference::parse_normalized(image) {
            Err(_) if ignore_invalid_image => return,
            other => other.unwrap(),
        };
        // No rewriting happens.
        let prm = SignedIdentity::remap_identity(
            "never-causes-a-rewrite.example",
            "never-causes-a-rewrite.example",
        )
        .unwrap();
        test_image_and_sig(&prm, image, sig, result);
        // Rewrite the image reference.
        let domain = parsed.domain();
        let prm = SignedIdentity::remap_identity(&modified_string(domain), domain).unwrap();
        let modified = pn(&modified_string(parsed.as_str()));
        test_image_and_sig(&prm, modified.as_str(), sig, result);
    }

    // TestPRMRemapIdentityMatchesDockerReference
    #[test]
    fn remap_identity_matches() {
        let cases = [
            // No match rewriting
            (
                "does-not-match.com",
                "does-not-match.rewritten",
                "busybox:latest",
                "busybox:latest",
                true,
            ),
            (
                "does-not-match.com",
                "does-not-match.rewritten",
                "busybox:latest",
                "notbusybox:latest",
                false,
            ),
            // Match rewriting non-docker
            (
                "mirror.example",
                "public.com",
                "mirror.example/busybox:1",
                "public.com/busybox:1",
                true,
            ),
            (
                "mirror.example",
                "public.com",
                "mirror.example/busybox:1",
                "public.com/busybox:not1",
                false,
            ),
            // Rewriting to docker.io
            (
                "mirror.example",
                "docker.io/library",
                "mirror.example/busybox:latest",
                "busybox:latest",
                true,
            ),
            (
                "mirror.example",
                "docker.io/library",
                "mirror.example/alpine:latest",
                "busybox:latest",
                false,
            ),
            // Rewriting from docker.io
            (
                "docker.io/library",
                "original.com",
                "copied:latest",
                "original.com/copied:latest",
                true,
            ),
            (
                "docker.io/library",
                "original.com",
                "copied:latest",
                "original.com/ns/copied:latest",
                false,
            ),
            // Invalid object: prefix is not a host name
            (
                "busybox",
                "example.com/busybox",
                "busybox:latest",
                "example.com/busybox:latest",
                false,
            ),
            // Invalid object: signedPrefix is not a host name
            (
                "docker.io/library/busybox",
                "busybox",
                "docker.io/library/busybox:latest",
                "busybox:latest",
                false,
            ),
            // Invalid object: invalid prefix
            (
                "UPPERCASE",
                "example.com",
                "example.com/foo:latest",
                "example.com/foo:latest",
                true,
            ),
            (
                "example.com",
                "UPPERCASE",
                "example.com/foo:latest",
                "UPPERCASE/foo:latest",
                false,
            ),
        ];
        for (prefix, signed_prefix, image, sig, result) in cases {
            let prm = SignedIdentity::RemapIdentity {
                prefix: prefix.into(),
                signed_prefix: signed_prefix.into(),
            };
            test_image_and_sig(&prm, image, sig, result);
        }
        let prm = SignedIdentity::remap_identity("docker.io", "docker.io").unwrap();
        assert!(!prm.matches(None, ""));

        for (a, b, result) in exact_match_table().into_iter().filter(|t| t.2) {
            remap_mrdoe_case(true, &a, &b, result);
            remap_mrdoe_case(true, &b, &a, result);
        }
        for (a, b, result) in repository_match_table().into_iter().filter(|t| !t.2) {
            remap_mrdoe_case(true, &a, &b, result);
            remap_mrdoe_case(true, &b, &a, result);
        }
        for (image, sig, result) in repo_digest_or_exact_table() {
            remap_mrdoe_case(false, &image, &sig, result);
        }
    }

    #[test]
    fn spec_highlights() {
        let x = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let y = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let prm = SignedIdentity::MatchRepoDigestOrExact;
        assert!(prm.matches(Some(&pn(&format!("busybox@{x}"))), "busybox:latest"));
        assert!(!prm.matches(Some(&pn("busybox:latest")), &format!("busybox@{x}")));
        assert!(!prm.matches(Some(&pn(&format!("busybox:latest@{x}"))), "busybox:latest"));
        assert!(prm.matches(Some(&pn(&format!("busybox@{x}"))), &format!("busybox@{y}")));
        // Canonicalization is symmetric.
        for sig in [
            "busybox:latest",
            "library/busybox:latest",
            "docker.io/library/busybox:latest",
            "index.docker.io/library/busybox:latest",
        ] {
            assert!(
                SignedIdentity::MatchExact.matches(Some(&pn("busybox:latest")), sig),
                "{sig}"
            );
        }
        let remap =
            SignedIdentity::remap_identity("docker.io", "not-docker-signed.example").unwrap();
        assert!(remap.matches(
            Some(&pn("busybox:latest")),
            "not-docker-signed.example/library/busybox:latest"
        ));
        assert!(!remap.matches(Some(&pn("busybox:latest")), "busybox:latest"));
        let remap = SignedIdentity::remap_identity("example.com", "x.example").unwrap();
        assert!(!remap.matches(
            Some(&pn("example.com:5000/image:1")),
            "x.example:5000/image:1"
        ));
        assert!(remap.matches(
            Some(&pn("example.com:5000/image:1")),
            "example.com:5000/image:1"
        ));
    }
}
