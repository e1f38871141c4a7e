//! Upload credentials: the file format, redaction, and what a real server accepts.

#![allow(clippy::unwrap_used)]

mod server_support;

use server_support::*;
use sigstore_lookaside::{
    ErrorKind,
    auth::{Credential, Credentials},
};

#[test]
fn credential_file_format_and_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("uploads.cred");
    std::fs::write(
        &path,
        "# upload credentials\n\n  bearer abc.DEF-123  \nBASIC bob:p:w d\n",
    )
    .unwrap();
    let c = Credentials::from_file(&path).unwrap();
    let list: Vec<_> = c.iter().cloned().collect();
    assert_eq!(
        list,
        vec![
            Credential::Bearer("abc.DEF-123".into()),
            Credential::Basic {
                user: "bob".into(),
                password: "p:w d".into()
            }
        ]
    );
    for (text, line, needle) in [
        ("bearer\n", 1, "empty bearer token"),
        ("\n# x\nbearer a b\n", 3, "visible ASCII"),
        ("basic nopassword\n", 1, "basic <user>:<password>"),
        ("basic :pw\n", 1, "empty user name"),
        ("token hunter2\n", 1, "expected `bearer <token>`"),
    ] {
        std::fs::write(&path, text).unwrap();
        let e = Credentials::from_file(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        let e = e.to_string();
        assert!(
            e.starts_with(&format!("{}:{line}: ", path.display())),
            "{e}"
        );
        assert!(e.contains(needle), "{e}");
        assert!(!e.contains("hunter2"), "secret leaked: {e}");
    }
    let e = Credentials::from_file(&dir.path().join("missing"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "open {}: no such file or directory",
            dir.path().join("missing").display()
        )
    );
    // A client file must hold exactly one credential.
    std::fs::write(&path, "bearer a\nbearer b\n").unwrap();
    assert!(
        Credential::from_file(&path)
            .unwrap_err()
            .to_string()
            .contains("exactly one")
    );
    std::fs::write(&path, "bearer only\n").unwrap();
    assert_eq!(
        Credential::from_file(&path).unwrap(),
        Credential::Bearer("only".into())
    );
}

#[test]
fn debug_never_prints_secrets() {
    let c = Credentials::new()
        .with(Credential::bearer("tok-SECRET").unwrap())
        .with(Credential::basic("carol", "pw-SECRET").unwrap());
    let shown = format!("{c:?} {:?}", c.iter().collect::<Vec<_>>());
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("carol"), "{shown}");
}

#[test]
fn from_parts_is_what_the_cli_builds_from_environment_values() {
    assert_eq!(Credential::from_parts(None, None, None).unwrap(), None);
    assert_eq!(
        Credential::from_parts(Some("t"), None, None).unwrap(),
        Some(Credential::Bearer("t".into()))
    );
    assert_eq!(
        Credential::from_parts(None, Some("u"), Some("p")).unwrap(),
        Some(Credential::Basic {
            user: "u".into(),
            password: "p".into()
        })
    );
    let e = Credential::from_parts(None, Some("u"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("CONTAINERS_POLICY_UPLOAD_PASSWORD"), "{e}");
    let e = Credential::from_parts(Some("t"), Some("u"), Some("p"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not both"), "{e}");
    assert!(Credential::from_parts(Some(""), None, None).is_err());
}

#[test]
fn accepts_compares_scheme_and_secret() {
    let c = credentials();
    assert!(c.accepts(&format!("Bearer {TOKEN}")));
    assert!(c.accepts(&format!("bearer {TOKEN}")));
    assert!(
        c.accepts(
            &Credential::basic("alice", "pa:ss word")
                .unwrap()
                .authorization_header()
        )
    );
    assert!(!c.accepts(&format!("Bearer {TOKEN}x")));
    assert!(!c.accepts(&format!("Basic {TOKEN}")));
    assert!(
        !c.accepts(
            &Credential::basic("alice", "pa:ss")
                .unwrap()
                .authorization_header()
        )
    );
    assert!(!c.accepts("Bearer"));
    assert!(!c.accepts(""));
    assert!(!Credentials::new().accepts(&format!("Bearer {TOKEN}")));
}

fn put(f: &Fixture, auth: Option<&str>) -> RawResponse {
    let (digest, blob) = signature(1, "reg.example/ns/img:1");
    let path = format!("/ns/img@sha256={}/signature-1", digest.hex());
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    raw(f.addr(), "PUT", &path, &headers, &blob)
}

#[test]
fn server_requires_a_valid_credential() {
    let f = Fixture::new(|c| c);
    let r = put(&f, None);
    assert_eq!(r.status, 401);
    let head = r.head.to_ascii_lowercase();
    assert!(head.contains("www-authenticate: bearer"), "{}", r.head);
    assert!(head.contains("www-authenticate: basic"), "{}", r.head);
    assert!(r.body_text().contains("Authorization"), "{}", r.body_text());

    assert_eq!(put(&f, Some("Bearer wrong")).status, 401);
    let wrong_basic = Credential::basic("alice", "wrong")
        .unwrap()
        .authorization_header();
    assert_eq!(put(&f, Some(&wrong_basic)).status, 401);
    assert_eq!(put(&f, Some(&format!("Token {TOKEN}"))).status, 401);
    // The JSON API is guarded the same way.
    let (digest, blob) = signature(1, "reg.example/ns/img:1");
    let r = raw(
        f.addr(),
        "POST",
        "/upload",
        &[],
        upload_json("ns", &layer_id("img", &digest), &blob).as_bytes(),
    );
    assert_eq!(r.status, 401);
    assert_eq!(f.tree(), vec!["root".to_owned()]);

    let basic = Credential::basic("alice", "pa:ss word")
        .unwrap()
        .authorization_header();
    assert_eq!(put(&f, Some(&basic)).status, 201);
    // Reads need no credentials.
    let r = raw(
        f.addr(),
        "GET",
        &format!("/ns/img@sha256={}/signature-1", digest.hex()),
        &[],
        b"",
    );
    assert_eq!(r.status, 200);
}

#[test]
fn without_credentials_uploads_are_refused_unless_anonymous_is_allowed() {
    let f = Fixture::new(|c| c.with_credentials(Credentials::new()));
    let r = put(&f, Some(&format!("Bearer {TOKEN}")));
    assert_eq!(r.status, 403);
    assert!(r.body_text().contains("no upload credentials configured"));
    assert_eq!(f.tree(), vec!["root".to_owned()]);

    let f = Fixture::new(|c| {
        c.with_credentials(Credentials::new())
            .with_anonymous_uploads(true)
    });
    assert_eq!(put(&f, None).status, 201);
}
