//! Helpers shared by the CLI's integration tests that compare with the real skopeo.

/// Our (containers/image v5.39+) message as the installed skopeo's older containers/image words it
/// (`skopeo_version`: the output of `skopeo --version`). The only rewrite is the one `../shared/spec.md`
/// §2.3 documents: up to v5.30 (skopeo ≤ 1.15) the identity in `Signature for identity … is not accepted`
/// was not quoted. Anything else must match byte for byte.
pub(crate) fn as_older_release(ours: &str, skopeo_version: &str) -> String {
    let minor: Option<u32> = skopeo_version
        .strip_prefix("skopeo version 1.")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|m| m.parse().ok());
    if minor.is_some_and(|m| m <= 15) {
        if let Some(quoted) = ours
            .strip_prefix("Signature for identity ")
            .and_then(|r| r.strip_suffix(" is not accepted"))
        {
            if let Ok(identity) = serde_json::from_str::<String>(quoted) {
                return format!("Signature for identity {identity} is not accepted");
            }
        }
    }
    ours.to_owned()
}
