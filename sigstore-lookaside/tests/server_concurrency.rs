//! Many uploads to one image at once lose nothing: 32 distinct signatures end up as exactly
//! `signature-1..32`, every byte intact.

#![allow(clippy::unwrap_used)]

mod server_support;

use std::{
    collections::BTreeSet,
    sync::{Arc, Barrier},
};

use server_support::*;
use sigstore_lookaside::store::file;

#[test]
fn thirty_two_concurrent_uploads_to_one_image() {
    let f = Fixture::new(|c| c);
    // 32 distinct signatures of one manifest: one key each, so the bytes differ.
    let sigs: Vec<Vec<u8>> = (0..32)
        .map(|i| {
            let k =
                containers_policy::openpgp::generate_key(&format!("K{i} <k{i}@example.invalid>"))
                    .unwrap();
            signature_with(&k, 1, "reg.example/team/app/svc:1").1
        })
        .collect();
    let (digest, _) = signature(1, "reg.example/team/app/svc:1");
    let barrier = Arc::new(Barrier::new(32));
    let handles: Vec<_> = sigs
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, blob)| {
            let (barrier, digest, url) = (Arc::clone(&barrier), digest.clone(), f.url(""));
            std::thread::spawn(move || {
                let c = client();
                barrier.wait();
                // Half use the JSON API, half PUT (all to signature-1: the server picks the index).
                let resp = if i % 2 == 0 {
                    c.post(format!("{url}/upload"))
                        .header("Authorization", format!("Bearer {TOKEN}"))
                        .body(upload_json("team/app", &layer_id("svc", &digest), &blob))
                        .send()
                        .unwrap()
                } else {
                    c.put(format!(
                        "{url}/team/app/svc@sha256={}/signature-1",
                        digest.hex()
                    ))
                    .header("Authorization", format!("Bearer {TOKEN}"))
                    .body(blob)
                    .send()
                    .unwrap()
                };
                let status = resp.status();
                let body: serde_json::Value = serde_json::from_str(&resp.text().unwrap()).unwrap();
                (status, body["index"].as_u64().unwrap())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        results
            .iter()
            .all(|(s, _)| *s == reqwest::StatusCode::CREATED)
    );
    let indices: BTreeSet<u64> = results.iter().map(|(_, i)| *i).collect();
    assert_eq!(indices, (1..=32).collect());

    let stored = file::read_signatures(&f.root().join("team/app/svc"), &digest).unwrap();
    assert_eq!(stored.len(), 32);
    let stored: BTreeSet<Vec<u8>> = stored.into_iter().collect();
    let sent: BTreeSet<Vec<u8>> = sigs.into_iter().collect();
    assert_eq!(stored, sent);
    let image = f
        .root()
        .join(format!("team/app/svc@sha256={}", digest.hex()));
    let names: BTreeSet<String> = std::fs::read_dir(image)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, (1..=32).map(|i| format!("signature-{i}")).collect());
}
