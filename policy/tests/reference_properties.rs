//! Property tests for docker references, image references and signedIdentity matching: no input panics,
//! and parsed references round-trip through their canonical and familiar forms.

use containers_policy::{
    DockerReference, ImageReference, SignedIdentity, transports::validate_scope,
};
use proptest::prelude::*;

/// Strings built from the characters that matter to the reference grammar.
fn reference_like() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "a",
        "b",
        "z",
        "0",
        "9",
        "A",
        "Z",
        ".",
        "_",
        "__",
        "-",
        ":",
        "/",
        "@",
        "localhost",
        "docker.io",
        "index.docker.io",
        "library",
        "example.com",
        ":5000",
        "sha256:",
        "sha512:",
        "İ",
        "\u{212a}",
        "é",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ]);
    prop::collection::vec(atoms, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, .. ProptestConfig::default() })]

    #[test]
    fn docker_reference_round_trips(s in reference_like()) {
        if let Ok(r) = DockerReference::parse_normalized(&s) {
            let canonical = r.to_string();
            prop_assert_eq!(DockerReference::parse_canonical(&canonical), Ok(r.clone()));
            prop_assert_eq!(DockerReference::parse_normalized(&r.familiar_string()), Ok(r.clone()));
            prop_assert!(canonical.starts_with(r.name_str()));
            prop_assert_eq!(r.name(), if r.domain().is_empty() {
                r.path().to_owned()
            } else {
                format!("{}/{}", r.domain(), r.path())
            });
            prop_assert!(r.name().len() <= 255);
            let tagged = r.clone().with_default_tag();
            prop_assert!(!tagged.is_name_only());
            prop_assert_eq!(tagged.digest(), r.digest());
        } else {
            prop_assert!(DockerReference::parse_canonical(&s).is_err());
        }
    }

    #[test]
    fn image_references_do_not_panic(s in reference_like(), t in 0usize..9) {
        let transport = ["docker://", "docker:", "atomic:", "docker-daemon:", "docker-archive:/x:",
            "containers-storage:", "containers-storage:[vfs@/g]", "oci:/nonexistent-dir/", "x"][t];
        if let Ok(r) = ImageReference::parse(&format!("{transport}{s}")) {
            let _ = (r.to_string(), r.policy_identity(), r.policy_namespaces(), r.docker_reference());
            if let Some(d) = r.docker_reference() {
                prop_assert!(DockerReference::parse_canonical(d.as_str()).is_ok());
            }
        }
    }

    #[test]
    fn scope_validation_does_not_panic(s in reference_like(), t in 0usize..12) {
        let transport = ["docker", "atomic", "dir", "oci", "oci-archive", "docker-archive", "docker-daemon",
            "containers-storage", "sif", "tarball", "ostree", "unknown"][t];
        let _ = validate_scope(transport, &s);
        let _ = validate_scope(transport, &format!("[{s}"));
    }

    #[test]
    fn identity_matching_does_not_panic(image in reference_like(), sig in reference_like(),
                                        prefix in reference_like(), signed_prefix in reference_like()) {
        let image = DockerReference::parse_normalized(&image).ok();
        let rules = [
            SignedIdentity::MatchExact,
            SignedIdentity::MatchRepoDigestOrExact,
            SignedIdentity::MatchRepository,
            SignedIdentity::ExactReference { docker_reference: prefix.clone() },
            SignedIdentity::ExactRepository { docker_repository: prefix.clone() },
            SignedIdentity::RemapIdentity { prefix: prefix.clone(), signed_prefix: signed_prefix.clone() },
        ];
        for rule in &rules {
            let _ = rule.matches(image.as_ref(), &sig);
        }
        // Every rule accepts a signature that claims exactly the (tagged) image identity.
        if let Some(image) = image.map(DockerReference::with_default_tag) {
            if image.digest().is_none() {
                for rule in &rules[..3] {
                    prop_assert!(rule.matches(Some(&image), image.as_str()), "{rule:?} {image}");
                }
            }
        }
        let _ = SignedIdentity::remap_identity(&prefix, &signed_prefix);
    }
}
